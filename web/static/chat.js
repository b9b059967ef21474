/*
 * The shopper web chat. Bot messages come from Rasa and may repeat what shoppers or sellers
 * typed (product names, addresses), so everything is built with createElement + textContent:
 * no string ever becomes markup. Links and images are accepted only with http(s) (or data:
 * image) addresses, so a "javascript:" URL in a message can never run.
 */
(function () {
  "use strict";

  var UNREACHABLE = "The assistant is not reachable right now, please try again in a minute.";
  var GREETING = {
    text: "Hi! Ask me about a product, a size or your order, the way you'd text a friend.",
    buttons: [{ title: "What do you sell?", payload: "/browse_catalog" }]
  };
  var URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+/g;

  var POLL_MS = 4000;
  var log, form, input, sendButton, endpoint, updatesUrl, csrfToken;
  var busy = false;
  var lastUpdateId = 0;  // the highest outbox message shown; acknowledged after each poll that brings any

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function safeUrl(value, allowDataImage) {
    if (typeof value !== "string" || !value) return null;
    if (allowDataImage && /^data:image\//i.test(value)) return value;
    try {
      var url = new URL(value, window.location.href);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function row(who) {
    var r = el("div", "msg msg-" + who);
    log.appendChild(r);
    return r;
  }

  /* Text with newlines kept (CSS pre-wrap); web addresses become links, the rest stays text nodes. */
  function appendText(parent, text) {
    var rest = String(text), match, last = 0;
    URL_IN_TEXT.lastIndex = 0;
    while ((match = URL_IN_TEXT.exec(rest)) !== null) {
      var href = match[0].replace(/[.,!?;:)]+$/, "");
      parent.appendChild(document.createTextNode(rest.slice(last, match.index)));
      var link = el("a", "msg-link", href);
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      parent.appendChild(link);
      last = match.index + href.length;
      URL_IN_TEXT.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(rest.slice(last)));
  }

  function renderButtons(container, buttons) {
    var group = el("div", "msg-buttons");
    buttons.forEach(function (b) {
      if (!b || typeof b !== "object") return;
      var title = b.title || b.payload || b.url || "";
      var url = b.type === "web_url" || (b.url && !b.payload) ? safeUrl(b.url, false) : null;
      if (url) {
        var link = el("a", "chip chip-link", title);
        link.href = url;
        link.target = "_blank";
        link.rel = "noopener noreferrer";
        group.appendChild(link);
        return;
      }
      if (typeof b.payload !== "string" || !b.payload) return;
      var button = el("button", "chip", title);
      button.type = "button";
      button.addEventListener("click", function () {
        if (busy) return;
        group.querySelectorAll("button").forEach(function (other) { other.disabled = true; });
        button.classList.add("chip-chosen");
        send(b.payload, title, false);
      });
      group.appendChild(button);
    });
    if (group.childNodes.length) container.appendChild(group);
  }

  function renderBotMessage(message) {
    if (!message || typeof message !== "object") return;
    var r = row("bot");
    var hasText = typeof message.text === "string" && message.text !== "";
    var imageUrl = safeUrl(message.image, true);
    if (hasText || imageUrl) {
      var bubble = el("div", hasText ? "bubble" : "bubble bubble-media");
      if (hasText) appendText(bubble, message.text);
      if (imageUrl) {
        var img = el("img", "bubble-image");
        img.alt = hasText ? "" : "Product image";
        img.loading = "lazy";
        img.addEventListener("load", scrollToEnd);
        img.addEventListener("error", function () { img.remove(); });
        img.src = imageUrl;
        bubble.appendChild(img);
      }
      r.appendChild(bubble);
    }
    if (Array.isArray(message.buttons)) renderButtons(r, message.buttons);
    if (!r.childNodes.length) r.remove();
  }

  function showShopper(text) {
    row("me").appendChild(el("div", "bubble", text));
  }

  function showProblem(text) {
    row("bot").appendChild(el("div", "bubble bubble-problem", text));
  }

  function showTyping() {
    var r = row("bot");
    var bubble = el("div", "bubble bubble-typing");
    bubble.setAttribute("aria-label", "The assistant is typing");
    for (var i = 0; i < 3; i++) bubble.appendChild(el("span", "dot"));
    r.appendChild(bubble);
    return r;
  }

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    log.setAttribute("aria-busy", value ? "true" : "false");
  }

  function readJson(response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      return { status: response.status, data: data || {} };
    });
  }

  /* Sends `text`; the shopper's bubble shows `shownAs` (a button's title instead of its payload). */
  function send(text, shownAs, fromComposer) {
    if (busy || !text.trim()) return false;
    setBusy(true);
    showShopper(shownAs || text);
    var typing = showTyping();
    scrollToEnd();
    fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
      // A button press is sent as its payload; typed text is only ever text.
      body: JSON.stringify(fromComposer ? { text: text } : { payload: text })
    })
      .then(readJson)
      .then(function (result) {
        typing.remove();
        if (result.status === 200 && Array.isArray(result.data.messages)) {
          result.data.messages.forEach(renderBotMessage);
        } else if (result.status === 503 || result.status >= 500) {
          showProblem(UNREACHABLE);
        } else {
          showProblem(result.data.error || "Sorry, that did not work. Please reload the page and try again.");
          // 429: too many messages, this one was refused unread; back in the composer, to send again in a moment.
          if (result.status === 429 && fromComposer && !input.value) {
            input.value = text;
            fitInput();
          }
        }
      })
      .catch(function () {
        typing.remove();
        showProblem(UNREACHABLE);
      })
      .then(function () {
        setBusy(false);
        scrollToEnd();
        if (fromComposer) input.focus();
      });
    return true;
  }

  function fitInput() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 140) + "px";
  }

  function submitComposer() {
    var text = input.value;
    if (!text.trim()) {
      input.value = "";
      fitInput();
      return;
    }
    if (send(text, null, true)) {
      input.value = "";
      fitInput();
    }
  }

  /* The messages up to `shownUpTo` are on screen: a POST with the CSRF token (a GET from another site must not
     be able to mark a shopper's messages delivered). Lost, the next poll brings them again and this repeats. */
  function acknowledge(shownUpTo) {
    fetch(updatesUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken },
      body: JSON.stringify({ delivered: shownUpTo })
    }).catch(function () { /* the next poll returns them again */ });
  }

  /* Messages sent outside a turn (order paid, shipped, the seller's replies) arrive by polling. */
  function pollUpdates() {
    if (document.hidden) return;
    // Every message not yet acknowledged, so one whose acknowledgement was lost is acknowledged again.
    fetch(updatesUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { messages: [] }; })
      .then(function (data) {
        var messages = data && Array.isArray(data.messages) ? data.messages : [];
        messages.forEach(function (m) {
          if (typeof m.id !== "number" || m.id <= lastUpdateId) return;  // shown already
          lastUpdateId = m.id;
          renderBotMessage(m);
        });
        if (messages.length) {
          scrollToEnd();
          acknowledge(lastUpdateId);
        }
      })
      .catch(function () { /* offline for a moment: the next poll asks again */ });
  }

  function start() {
    log = document.getElementById("chat-log");
    form = document.getElementById("chat-form");
    input = document.getElementById("chat-input");
    sendButton = document.getElementById("chat-send");
    endpoint = form.getAttribute("data-endpoint");
    updatesUrl = form.getAttribute("data-updates");
    var meta = document.querySelector('meta[name="csrf-token"]');
    csrfToken = meta ? meta.getAttribute("content") : "";

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitComposer();
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitComposer();
      }
    });
    input.addEventListener("input", fitInput);

    renderBotMessage(GREETING);
    if (updatesUrl) {
      pollUpdates();
      window.setInterval(pollUpdates, POLL_MS);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
