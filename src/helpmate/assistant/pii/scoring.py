"""Measures redaction against a labelled set (``evals/pii.yaml``) and against a library's names.

An item is *caught* when every letter and digit of every place it appears in the snippet was
replaced (a name half-redacted still leaks); recall is counted per type. A *false redaction* is a
``keep`` string with any character altered, or a word replaced that is part of no labelled item
("her [NAME_1] rang" for "her nan rang"); a title replaced with the name after it is not counted
(the set labels "mrs kowalczyk" as "kowalczyk", and the engine keeps "Mrs Okafor" whole). Snippets are redacted as the engine redacts them: with
the snippet's keep list plus every area and place name of the library, on a fresh mapping.

The set is split by id for honesty: odd ids were the development half the recognisers were
written against; even ids were scored only at the end (see the report in the branch's history).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from helpmate.assistant.redact import Redactor
from helpmate.errors import HelpmateError

_TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "revd", "sir", "dame"}
SENTENCE = "She could try {name} on Tuesday about the rent."  # a record name inside a sentence


@dataclass
class Score:
    items: Counter[str] = field(default_factory=Counter)  # per type
    caught: Counter[str] = field(default_factory=Counter)
    missed: list[dict[str, str]] = field(default_factory=list)  # id, type, text
    keep_altered: list[dict[str, str]] = field(default_factory=list)  # id, text
    words_replaced: list[dict[str, str]] = field(default_factory=list)  # id, word
    snippets: int = 0

    def as_dict(self) -> dict[str, Any]:
        total, caught = sum(self.items.values()), sum(self.caught.values())
        return {
            "snippets": self.snippets,
            "items": total,
            "missed": total - caught,
            "recall": round(caught / total, 4) if total else None,
            "recall_per_type": {t: f"{self.caught[t]}/{n}" for t, n in sorted(self.items.items())},
            "keep_altered": len(self.keep_altered),
            "non_personal_words_replaced": len(self.words_replaced),
            "missed_items": self.missed,
            "keep_altered_items": self.keep_altered,
            "words_replaced_items": self.words_replaced,
        }


def load_set(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        snippets = data["snippets"]
        assert isinstance(snippets, list)
    except (OSError, yaml.YAMLError, KeyError, TypeError, AssertionError) as exc:
        raise HelpmateError(
            f"cannot read the labelled set {path}: {exc}", hint="see evals/pii.yaml for the shape"
        ) from exc
    return snippets


def _occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    found = [m.span() for m in re.finditer(re.escape(needle), text)]
    return found or [m.span() for m in re.finditer(re.escape(needle), text, re.I)]


def _covered(spans: list[tuple[int, int, str]], start: int, end: int, text: str) -> bool:
    return all(any(s <= i < e for s, e, _ in spans) for i in range(start, end) if text[i].isalnum())


def score_snippets(snippets: Iterable[dict[str, Any]], places: list[str]) -> Score:
    """Redacts each snippet with its keep list plus ``places`` and scores it (module docstring)."""
    score = Score()
    for snippet in snippets:
        text, sid = snippet["text"], snippet["id"]
        keep = list(snippet.get("keep") or [])
        spans = Redactor([*keep, *places]).find(text)
        score.snippets += 1
        personal: list[tuple[int, int]] = []
        for item in snippet["items"]:
            where = _occurrences(text, item["text"])
            personal += where
            score.items[item["type"]] += 1
            if where and all(_covered(spans, s, e, text) for s, e in where):
                score.caught[item["type"]] += 1
            else:
                score.missed.append({"id": sid, "type": item["type"], "text": item["text"]})
        for kept in keep:
            for s, e in _occurrences(text, kept):
                if any(a < e and s < b for a, b, _ in spans):
                    score.keep_altered.append({"id": sid, "text": kept})
                    break
        for a, b, _kind in spans:
            with_item = any(ps < b and a < pe for ps, pe in personal)
            for m in re.finditer(r"[^\W_]+", text[a:b]):
                s, e = a + m.start(), a + m.end()
                if with_item and m.group().lower() in _TITLES:
                    continue  # "mrs kowalczyk" replaced whole: the set labels the name without it
                if not any(ps <= s and e <= pe for ps, pe in personal):
                    score.words_replaced.append({"id": sid, "word": m.group()})
    return score


def names_altered(names: Iterable[str], places: list[str], *, keep_names: bool) -> list[str]:
    """The record names that ``redact`` alters inside ``SENTENCE``, with each name in the keep list
    (as the engine passes the plan's records) or without it; ``places`` are kept either way."""
    altered = []
    for name in names:
        keep = [name, *places] if keep_names else places
        text = SENTENCE.format(name=name)
        start = text.index(name)
        if any(a < start + len(name) and start < b for a, b, _ in Redactor(keep).find(text)):
            altered.append(name)
    return altered
