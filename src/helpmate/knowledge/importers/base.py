"""What a feed reader produces: drafts of records, and the items it had to skip."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


class SkipRecord(Exception):
    """One record in an otherwise good feed cannot be used; the reason is shown to the user."""


@dataclass
class Draft:
    """A record as read from a feed, before track, needs and the library's checks."""

    source_id: str
    fields: dict[str, Any]
    modified: str = ""
    """The feed's last-modified date for the record, used to resolve duplicate ids."""
    extra_text: str = ""
    """Text used only to suggest needs (e.g. taxonomy terms), not stored."""


@dataclass
class FeedRead:
    drafts: list[Draft] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(where, why) for each record that could not be read."""
    name: str = ""
    """The feed's own name, where it gives one (an HSDS package's ``name``): the import's source."""
    warnings: list[str] = field(default_factory=list)
    """What the import will lose without failing, e.g. a column that is read but missing."""


def text_field(item: dict[str, Any], key: str) -> str:
    value = item.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SkipRecord(f"field '{key}' should be text, found {type(value).__name__}")
    return str(value)


def mapping_field(item: dict[str, Any], key: str) -> dict[str, Any]:
    value = item.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SkipRecord(f"field '{key}' should be an object, found {type(value).__name__}")
    return value


def list_field(item: dict[str, Any], key: str) -> list[Any]:
    value = item.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SkipRecord(f"field '{key}' should be a list, found {type(value).__name__}")
    return value


def parse_date(value: str) -> dt.date | None:
    value = (value or "").strip()[:10]
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def age(value: Any) -> int | None:
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= 130 else None


def tidy_name(name: str) -> str:
    """Names shouted in capitals (as in 211 feeds) become title case; others stay as written."""
    if name.isupper() and len(name) > 4:
        small = {"And", "Of", "The", "For", "In", "On", "At", "To", "A", "An", "Or"}
        words = name.title().split(" ")
        return " ".join(w if i == 0 or w not in small else w.lower() for i, w in enumerate(words))
    return name
