"""The language helpmate reads with: word lists and patterns from helpmate/data/language/, compiled once.

The patterns are data a person can read and change (each with a comment saying what it is for in
``reading.yaml``); this module only turns them into compiled regular expressions. Every pattern is
case-insensitive and runs on text that ``Reader`` has already repaired (quotes straightened,
mojibake fixed), so no caller lower-cases or straightens quotes again.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from helpmate import data
from helpmate.errors import HelpmateError

Scope = Literal["sentence", "text", "mention"]


@dataclass(frozen=True)
class Signal:
    """A sign that a need is over or turned down ("clean for six years", "she isn't lonely")."""

    name: str
    scope: Scope
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Lexicon:
    sentence: re.Pattern[str]
    clause: re.Pattern[str]
    phrase: re.Pattern[str]
    leading_join: re.Pattern[str]
    past_or_denied: re.Pattern[str]
    risk_negation: re.Pattern[str]
    risk_answered_no: re.Pattern[str]
    risk_past: re.Pattern[str]
    signals: tuple[Signal, ...]
    relapse: re.Pattern[str]
    in_use: re.Pattern[str]
    not_in_use: re.Pattern[str]
    age: tuple[re.Pattern[str], ...]
    numbers: dict[str, int]
    """Number words and their values ("seventeen" 17, "twenty" 20), for ages written in words."""
    age_decade: re.Pattern[str]
    family: re.Pattern[str]
    matters: re.Pattern[str]
    strengths: re.Pattern[str]
    profile_split: re.Pattern[str]
    profile_negation: re.Pattern[str]
    household: re.Pattern[str]
    carer: re.Pattern[str]
    cared_for: re.Pattern[str]
    household_members: re.Pattern[str]
    gender: re.Pattern[str]
    enjoys: re.Pattern[str]
    correction: re.Pattern[str]
    correction_trailing: re.Pattern[str]


def _source(entry: Any, where: str, substitutions: dict[str, str]) -> str:
    if isinstance(entry, list) and entry and all(isinstance(e, str) for e in entry):
        text = "(?:" + "|".join(entry) + ")"
    elif isinstance(entry, str):
        text = entry
    else:
        raise HelpmateError(f"{where}: expected a pattern or a list of patterns")
    for name, value in substitutions.items():
        text = text.replace("{" + name + "}", value)
    return text


def compile_lexicon(raw: dict[str, Any], where: str = "reading.yaml") -> Lexicon:
    """Compile the entries of a reading.yaml mapping (a broken pattern names its entry)."""
    subs = {name: raw[name] for name in ("duration", "not_an_age") if isinstance(raw.get(name), str)}
    numbers = raw.get("numbers") or {}
    if not isinstance(numbers, dict) or not all(
        isinstance(k, str) and isinstance(v, int) for k, v in numbers.items()
    ):
        raise HelpmateError(f"{where}: numbers: expected a mapping of words to whole numbers")
    numbers = {k.lower(): v for k, v in numbers.items()}
    # "{number_word}" in a pattern: a number in words, "seventeen" or "twenty-two".
    tens = "|".join(sorted((w for w, v in numbers.items() if v >= 20 and v % 10 == 0), key=len, reverse=True))
    units = "|".join(sorted((w for w, v in numbers.items() if v < 10), key=len, reverse=True))
    others = "|".join(sorted((w for w in numbers), key=len, reverse=True))
    subs["number_word"] = f"(?:(?:{tens})[\\s-](?:{units})|{others})" if numbers else "(?!x)x"

    def one(key: str) -> re.Pattern[str]:
        if key not in raw:
            raise HelpmateError(f"{where}: '{key}' is missing", hint="restore it from the shipped file")
        try:
            return re.compile(_source(raw[key], f"{where}: {key}", subs), re.IGNORECASE)
        except re.error as exc:
            raise HelpmateError(f"{where}: {key}: not a valid pattern ({exc})") from exc

    def compiled(text: str, key: str) -> re.Pattern[str]:
        try:
            return re.compile(text, re.IGNORECASE)
        except re.error as exc:
            raise HelpmateError(f"{where}: {key}: not a valid pattern ({exc})") from exc

    signals = tuple(
        Signal(
            name,
            spec.get("scope", "sentence"),
            compiled(_source(spec["pattern"], f"{where}: signals.{name}", subs), f"signals.{name}"),
        )
        for name, spec in (raw.get("signals") or {}).items()
    )
    fields = {name: one(name) for name in Lexicon.__dataclass_fields__ if name not in _SPECIAL}
    return Lexicon(
        **fields,
        signals=signals,
        age=tuple(compiled(_source(p, f"{where}: age", subs), "age") for p in raw.get("age") or []),
        numbers=numbers,
    )


_SPECIAL = {"signals", "age", "numbers"}


@functools.cache
def lexicon(path: Path | None = None) -> Lexicon:
    """The shipped lexicon (or another reading.yaml, for tests), compiled once per process."""
    from helpmate.knowledge.library import read_yaml

    source = path or data.path("language", "reading.yaml")
    raw = read_yaml(source)
    if not isinstance(raw, dict):
        raise HelpmateError(f"{source}: expected a mapping of patterns")
    return compile_lexicon(raw, str(source))
