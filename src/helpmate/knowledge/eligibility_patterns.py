"""The phrase language of ``helpmate/data/eligibility.yaml`` and the file, compiled.

Word lists are data a knowledge manager can read and extend ("for women", "over <n>'s"), not
regular expressions in code. This module turns each phrase into a regular expression (the syntax
is in the file's header) and keeps, for each, the words one of which a text must hold for it to
match, so that a record's text is scanned only by the few phrases that can match it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PATTERNS_FILE = Path(__file__).resolve().parent.parent / "data" / "eligibility.yaml"
_SEP = r"[\s\-–—/]+"
_PIECES = re.compile(r"(\\.|<n>|<w>|<people>|\(|\)|\||'|\*| )")


def _token(token: str, people: str) -> str:
    out = []
    for part in _PIECES.split(token):
        if part == "\\'":
            out.append("['’]")
        elif part.startswith("\\"):
            out.append(re.escape(part[1:]))
        elif part == "<n>":
            out.append(r"(\d{1,2})")
        elif part == "<w>":
            out.append(r"[\w'’]+")
        elif part == "<people>":
            out.append(people)
        elif part in ("(", ")", "|"):
            out.append({"(": "(?:", ")": ")", "|": "|"}[part])
        elif part == "'":
            out.append("['’]?")
        elif part == "*":
            out.append(r"\w*")
        elif part == " ":
            out.append(_SEP)
        elif part:
            out.append(re.escape(part))
    return "".join(out)


def _split(phrase: str) -> list[str]:
    """Words of a phrase, keeping a (group with spaces) as one token."""
    tokens, depth, current, escaped = [], 0, "", False
    for char in phrase.strip():
        if not escaped:
            depth += {"(": 1, ")": -1}.get(char, 0)
        escaped = char == "\\" and not escaped
        if char == " " and depth == 0:
            tokens.append(current)
            current = ""
        else:
            current += char
    return [t for t in [*tokens, current] if t]


def compile_phrase(phrase: str, people: str = "people", suffix: str = "") -> re.Pattern[str]:
    """A phrase of the patterns file as a regular expression that matches whole words."""
    tokens = _split(phrase.lower())
    if all(t.endswith("?") for t in tokens):
        # "word?" makes a word optional; a phrase of optional words would match anything.
        raise ValueError(f"the phrase '{phrase}' has no word that must be there")
    parts = []
    for index, token in enumerate(tokens):
        optional = token.endswith("?") and len(token) > 1
        body = _token(token[:-1] if optional else token, people)
        if index == 0:
            parts.append(f"(?:{body}{_SEP})?" if optional else body)
        else:
            parts.append(f"(?:{_SEP}{body})?" if optional else f"{_SEP}{body}")
    return re.compile(r"(?<!\w)" + "".join(parts) + r"(?!\w)" + suffix, re.I)


def _alternatives(token: str) -> list[str]:
    """The top-level alternatives of a token: "(a|b c)" gives ["a", "b c"], "word" ["word"]."""
    if not (token.startswith("(") and token.endswith(")")):
        return [token]
    found, depth, current = [], 0, ""
    for char in token[1:-1]:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            found.append(current)
            current = ""
        else:
            current += char
    return [*found, current]


_HEAD = re.compile(r"\(*([a-z0-9é&]*)")


def triggers(phrase: str) -> tuple[str, ...]:
    """Words one of which is in every text the phrase matches (lower case): the plain start of
    each alternative of the phrase's most telling word. Empty when no word is plain."""
    best: tuple[str, ...] = ()
    for token in _split(phrase.lower()):
        if token.endswith("?"):
            continue
        heads = [_HEAD.match(alt).group(1) for alt in _alternatives(token)]  # type: ignore[union-attr]
        if all(heads) and min(map(len, heads)) > min(map(len, best), default=0):
            best = tuple(heads)
    return best


@dataclass
class Phrases:
    """A list of the patterns file, compiled, each phrase with its trigger words. A text without
    any trigger is passed over with one search: the shared feeds' 5,644 records are read in about
    6 s of CPU (about 1 ms a record) rather than about 7 ms a record with every phrase tried."""

    items: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = ()

    @functools.cached_property
    def _gate(self) -> re.Pattern[str] | None:
        # Any trigger of any phrase (None when a phrase has none: every text may match).
        if any(not words for words, _ in self.items):
            return None
        words = sorted({w for found, _ in self.items for w in found}, key=len, reverse=True)
        return re.compile("|".join(map(re.escape, words)) or "(?!)")

    def matching(self, text: str) -> Iterator[re.Pattern[str]]:
        """The phrases that may match the text."""
        low = text.lower()
        if self._gate is not None and not self._gate.search(low):
            return
        for words, pattern in self.items:
            if not words or any(w in low for w in words):
                yield pattern

    def search(self, text: str) -> re.Match[str] | None:
        for pattern in self.matching(text):
            match = pattern.search(text)
            if match:
                return match
        return None


def _phrases(phrases: list[str], people: str, suffix: str = "") -> Phrases:
    return Phrases(tuple((triggers(p), compile_phrase(p, people, suffix)) for p in phrases))


@dataclass
class Group:
    """One group a record may serve only (``groups`` in the file)."""

    need: str
    who: str
    name: Phrases
    says: Phrases
    not_: Phrases
    open: Phrases


@dataclass
class Gender:
    value: str
    words: re.Pattern[str]
    name: Phrases
    starts: re.Pattern[str]
    says: Phrases
    anywhere: Phrases


@dataclass
class Patterns:
    genders: list[Gender]
    not_opening: Phrases
    gender_open: Phrases
    ages: dict[str, Phrases]
    age_words: list[tuple[re.Pattern[str], int | None, int | None]]
    part_of_record: Phrases
    groups_not: Phrases
    volunteers: Phrases
    groups: list[Group]

    @functools.cached_property
    def any_group(self) -> Phrases:
        """Every group's name and says phrases: a sentence none may match names no group."""
        return Phrases(tuple(item for g in self.groups for item in (*g.name.items, *g.says.items)))

    def who(self, need: str) -> str:
        """A group's people in words ("unpaid carers")."""
        return next((g.who for g in self.groups if g.need == need), need.replace("-", " "))


def _alternation(words: list[str]) -> str:
    return "(?:" + "|".join(_token(w, "") for w in sorted(words, key=len, reverse=True)) + ")"


@functools.cache
def load_patterns(path: Path = PATTERNS_FILE) -> Patterns:
    """The patterns file, compiled once per process (about 0.7 s of CPU, measured with the yaml
    import; only imports and ``kb validate`` need it)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    people = _alternation(data["people"])
    genders = [
        Gender(
            value,
            compile_phrase("(" + "|".join(spec["words"]) + ")"),
            _phrases(spec["name"], people),
            re.compile(r"^\W*" + _alternation(spec["starts"]) + r"(?!\w)", re.I),
            _phrases(spec["says"], people),
            _phrases(spec["anywhere"], people),
        )
        for value, spec in data["genders"].items()
        if value in ("female", "male")
    ]
    ages = data["ages"]
    return Patterns(
        genders=genders,
        not_opening=_phrases(data["genders"]["not_opening"], people),
        gender_open=_phrases(data["genders"]["open"], people),
        ages={key: _phrases(ages[key], people) for key in ages if key not in ("words", "words_after")}
        # Words an age word must come straight after ("a helpline for older people").
        | {"words_after": _phrases(ages["words_after"], people, suffix=r"\s*$")},
        age_words=[(compile_phrase(w["says"], people), w.get("min"), w.get("max")) for w in ages["words"]],
        part_of_record=_phrases(data["part_of_record"], people),
        groups_not=_phrases(data["groups_not"], people),
        volunteers=_phrases(data["volunteers"], people),
        groups=[
            Group(
                need,
                spec["who"],
                _phrases(spec.get("name", []), people),
                _phrases(spec.get("says", []), people),
                _phrases(spec.get("not", []), people),
                _phrases(spec.get("open", []), people),
            )
            for need, spec in data["groups"].items()
        ],
    )
