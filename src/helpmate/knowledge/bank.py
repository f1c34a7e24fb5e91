"""The safeguarding exemplar bank: for every kind of risk, ways a worker or a person might say it,
and lookalikes that share its words but are not a risk.

The shipped bank is helpmate/data/safeguarding/bank-*.yaml; a library may add its own
``safeguarding-bank.yaml`` in the same format. The index embeds the bank when it is built, and the
semantic safeguarding layer is trained on those vectors.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from helpmate import data
from helpmate.errors import LibraryInvalid

NONE = "none"
"""The label of lookalikes and ordinary texts: not a risk."""
LIBRARY_BANK = "safeguarding-bank.yaml"


@dataclass(frozen=True)
class Bank:
    """Risk examples per kind and lookalikes, as read from the bank files."""

    risks: dict[str, list[str]]
    lookalikes: list[str]

    @property
    def fingerprint(self) -> str:
        payload = json.dumps([self.risks, self.lookalikes], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def labelled(self) -> tuple[list[str], list[str]]:
        """Every text with its label (its kind, or ``none`` for a lookalike)."""
        texts: list[str] = []
        labels: list[str] = []
        for kind, items in self.risks.items():
            texts += items
            labels += [kind] * len(items)
        texts += self.lookalikes
        labels += [NONE] * len(self.lookalikes)
        return texts, labels


def load_bank(library_root: Path | None = None) -> Bank:
    """The shipped bank (every bank-*.yaml) and the library's own bank file on top."""
    from helpmate.knowledge.library import read_yaml

    paths = sorted(data.path("safeguarding").glob("bank-*.yaml"))
    if library_root is not None and (library_root / LIBRARY_BANK).exists():
        paths.append(library_root / LIBRARY_BANK)
    risks: dict[str, list[str]] = {}
    lookalikes: list[str] = []
    for path in paths:
        raw = read_yaml(path)
        kinds = raw.get("kinds") if isinstance(raw, dict) else None
        if not isinstance(kinds, dict):
            raise LibraryInvalid(f"{path}: expected 'kinds:' with risks and lookalikes per kind")
        for kind, entry in kinds.items():
            if not isinstance(entry, dict):
                raise LibraryInvalid(f"{path}: kind {kind}: expected 'risks' and 'lookalikes' lists")
            risks.setdefault(str(kind), []).extend(str(t) for t in entry.get("risks") or [])
            lookalikes.extend(str(t) for t in entry.get("lookalikes") or [])
    return Bank(risks, lookalikes)
