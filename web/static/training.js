// The trainer's pages. A file of our own origin: the dashboard's Content-Security-Policy runs no inline script.
"use strict";

// Annotate: the words selected in the example become [words](entity), Rasa's markup for an entity.
function markSelection() {
  const field = document.getElementById("markup");
  const entity = document.getElementById("entity-pick").value;
  let start = field.selectionStart;
  let end = field.selectionEnd;
  // A double-click selects the space after a word too: an entity starts and ends on a word.
  while (start < end && /\s/.test(field.value[start])) start++;
  while (end > start && /\s/.test(field.value[end - 1])) end--;
  if (start === end || !entity) return;
  const words = field.value.slice(start, end);
  field.setRangeText(`[${words}](${entity})`, start, end, "end");
  field.focus();
}

// Train & models: while a training runs, reload every few seconds for its stage and epoch, but never while the
// trainer is typing an override reason (a reload would lose it).
function refreshWhileBusy(section) {
  const seconds = Number(section.dataset.refresh);
  setInterval(() => {
    const typing = Array.from(document.querySelectorAll("textarea")).some((t) => t.value.trim() !== "");
    if (!typing) window.location.reload();
  }, seconds * 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  const mark = document.getElementById("mark-entity");
  if (mark) mark.addEventListener("click", markSelection);
  const learning = document.querySelector("[data-refresh]");
  if (learning) refreshWhileBusy(learning);
});
