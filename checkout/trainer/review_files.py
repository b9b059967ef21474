"""The files an annotation reads and writes in a Rasa project: the domain, every NLU example file, and the two
files reviewed examples go to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from checkout.settings import PROJECT_ROOT

FALLBACK_INTENT = "nlu_fallback"  # what the model says when unsure; never a right answer


@dataclass(frozen=True)
class ReviewFiles:
    root: Path = PROJECT_ROOT

    @property
    def training(self) -> Path:
        return self.root / "data" / "nlu_reviewed.yml"

    @property
    def test(self) -> Path:
        """The held-out file: scored, never trained on."""
        return self.root / "tests" / "nlu" / "heldout_reviewed.yml"

    @property
    def domain(self) -> Path:
        return self.root / "domain.yml"

    def training_paths(self) -> list[Path]:
        """Every file `rasa train --data data` may read examples from (the reviewed file included)."""
        return sorted(p for p in (self.root / "data").rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())

    def test_paths(self) -> list[Path]:
        """The held-out files (studied ones included: they must stay out of training as well)."""
        return sorted(p for p in (self.root / "tests" / "nlu").glob("*") if p.suffix in (".yml", ".yaml"))

    def is_test(self, path: Path) -> bool:
        return path.is_relative_to(self.root / "tests")

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def intents(self) -> list[str]:
        """The intents a text can be annotated with: the domain's, in its order."""
        return [name for name in _names(self._domain().get("intents")) if name != FALLBACK_INTENT]

    def entities(self) -> list[str]:
        return _names(self._domain().get("entities"))

    def _domain(self) -> dict:
        content = yaml.safe_load(self.domain.read_text(encoding="utf-8"))
        return content if isinstance(content, dict) else {}


def _names(items: object) -> list[str]:
    """A domain list's names: entries are a name, or a one-key mapping of a name to its options."""
    names = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, str):
            names.append(item)
        elif isinstance(item, dict) and len(item) == 1:
            names.append(str(next(iter(item))))
    return names
