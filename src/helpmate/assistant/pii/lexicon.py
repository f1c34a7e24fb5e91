"""The word lists the name recogniser reads: names, ordinary English words and cue words.

Lower-case names ("john smith", "her lad kyle") carry no capital letter for a model to see, so
the recogniser asks three questions of a word: could it be a first name or a surname (Faker's name
lists for the locales in ``cues.yaml``), is it also an ordinary English word (Webster's Second
International from the ``english-words`` package, in the case the dictionary writes it: "will",
"grace" and "price" are words, "john" and "shannon" are not), and is a cue near it (``cues.yaml``:
a title, "called", a relation such as "her son"). All three are data shipped in maintained
packages or in the YAML file beside this module, never lists in code.

Loading took 1.0 s on the 2-core machine (2.2 s under a load average of 12) and happens once,
with the analyser, only when redaction is needed.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

# Suffixes of English inflections, with what the dictionary's headword may end in instead.
_INFLECTIONS = (
    ("ies", ("y",)), ("ied", ("y",)), ("ing", ("", "e")), ("ed", ("", "e")), ("es", ("", "e")),
    ("s", ("",)), ("ly", ("", "le")), ("er", ("", "e")), ("ers", ("", "e")), ("est", ("", "e")),
)  # fmt: skip
_NAME_SHAPE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


@dataclass(frozen=True)
class Lexicon:
    """Lower-cased word sets; see the module docstring for where each comes from."""

    first_names: frozenset[str]
    surnames: frozenset[str]
    english: frozenset[str]  # words the dictionary writes in lower case
    titles: frozenset[str]
    introducers: tuple[tuple[str, ...], ...]  # "known as" -> ("known", "as")
    relations: frozenset[str]
    particles: frozenset[str]
    locatives: frozenset[str]
    place_words: frozenset[str]
    not_names: frozenset[str]
    not_people: tuple[str, ...]

    def is_word(self, lower: str) -> bool:
        """An ordinary word (so, in lower case, a name only with a cue): "will", "grace", "may",
        and their inflections, which the dictionary does not list: "controlling", "visits"."""
        if lower in self.english or lower in self.not_names:
            return True
        for suffix, ends in _INFLECTIONS:
            stem = lower[: -len(suffix)]
            if lower.endswith(suffix) and len(stem) >= 3:
                if any(stem + end in self.english for end in ends):
                    return True
                if stem[-1] == stem[-2] and stem[:-1] in self.english:  # "controlling"
                    return True
        return False

    def is_name(self, lower: str) -> bool:
        return lower in self.first_names or lower in self.surnames


def _cues() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("cues.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def _faker_names(locales: list[str]) -> tuple[set[str], set[str]]:
    """First names and surnames of the given Faker locales, lower-cased, Latin script only."""
    first: set[str] = set()
    last: set[str] = set()
    for locale in locales:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attr in dir(provider):
            target = (
                first if attr.startswith("first_names") else last if attr.startswith("last_names") else None
            )
            values = getattr(provider, attr)
            if target is None or not isinstance(values, (list, tuple, dict)):
                continue
            for name in values:
                if (
                    isinstance(name, str)
                    and _NAME_SHAPE.fullmatch(name)
                    and all(ord(c) < 0x250 for c in name)
                ):
                    target.add(name.lower())
    return first, last


def _lower(values: list[str]) -> frozenset[str]:
    return frozenset(v.lower() for v in values)


def load_lexicon() -> Lexicon:
    """Builds the lexicon from ``cues.yaml``, Faker and english-words (about 1 s; see above)."""
    from english_words import get_english_words_set

    cues = _cues()
    first, last = _faker_names(list(cues["name_locales"]))
    english = frozenset(w for w in get_english_words_set(["web2"]) if w.islower())
    return Lexicon(
        first_names=frozenset(first),
        surnames=frozenset(last),
        english=english,
        titles=_lower(cues["titles"]),
        introducers=tuple(tuple(p.lower().split()) for p in cues["introducers"]),
        relations=_lower(cues["relations"]),
        particles=_lower(cues["particles"]),
        locatives=_lower(cues["locatives"]),
        place_words=_lower(cues["place_words"]),
        not_names=_lower(cues["not_names"]),
        not_people=tuple(cues["not_people"]),
    )
