"""The anonymous event a conversation leaves, built from the engine's JSON contract.

What goes in (and nothing else): the week (its Monday, never the time), the area and locality,
the needs found (taxonomy id and strength), for each need whether a record that fits it well was
found per track (``met``), safeguarding alerts counted by category (never the words that raised
them), and the library ids of the records shown, pinned and dismissed with the reason's *key*
from ``DISMISS_REASONS``. Never what was typed, a name, the alert's evidence, a free-text reason
or the session id: the conversation is known by ``conversation_key``, a keyed hash that cannot be
turned back into the session id without this installation's secret (which is not in the database).

This module is plain Python (no SQLAlchemy): the terminal app's dismiss screen imports the list of
reasons from here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

DISMISS_REASONS: dict[str, str] = {
    "closed": "Closed",
    "not-suitable": "Not suitable",
    "too-far": "Too far",
    "waiting-list": "Waiting list",
    "declined": "Person declined",
    "other": "Other",
}
"""Why a worker dismissed a suggestion: the key is recorded, the label is what workers see. A free
text typed for "other" stays in the session file and never reaches the database."""

NOTICE_REASONS = ("closed", "waiting-list")
"""Dismissals the insight report offers to the knowledge manager as notices to confirm."""

TRACKS = ("service", "community")
_ID = re.compile(r"^[\w.:/-]{1,200}$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def reason_key(reason: str) -> str:
    """The fixed reason a dismissal stands for: its label or key ("Waiting list", "waiting-list"),
    or a label followed by a colon and more words; anything else (older sessions' own words) is
    "other"."""
    text = " ".join(str(reason).split()).lower()
    for key, label in DISMISS_REASONS.items():
        label = label.lower()
        if text in (key, label) or text.startswith((label + ":", key + ":")):
            return key
    return "other"


def dismiss_reason_text(key: str, free_text: str = "") -> str:
    """What the session keeps for a dismissal: the label, and for "other" the worker's own words."""
    label = DISMISS_REASONS.get(key, DISMISS_REASONS["other"])
    free_text = " ".join(free_text.split())
    return f"{label}: {free_text}" if free_text else label


def week_start(day: dt.date) -> dt.date:
    """The Monday of the ISO week: events keep the week, never the day or the time."""
    return day - dt.timedelta(days=day.weekday())


def conversation_key(secret: bytes, session_id: str) -> str:
    """A keyed hash of the session id (HMAC-SHA256, 128 bits): the same conversation always gets
    the same key on this installation, so a turn replaces the conversation's event; without the
    secret (kept in HELPMATE_HOME, never in the database) the key cannot be linked to a session id,
    not even by trying every timestamp a session id could have."""
    return hmac.new(secret, session_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class NeedEvent:
    need: str
    strength: float
    met_service: bool
    met_community: bool

    @property
    def met(self) -> bool:
        return self.met_service or self.met_community


@dataclass(frozen=True)
class RecordEvent:
    record: str
    track: str | None = None
    need: str | None = None
    """The need it was shown under (None: earlier turns, or close to what was said)."""
    pinned: bool = False
    dismissed: str | None = None
    """The reason's key from DISMISS_REASONS, when it was dismissed."""


@dataclass(frozen=True)
class Event:
    key: str
    week: dt.date
    area: str | None
    locality: str | None
    needs: tuple[NeedEvent, ...] = ()
    alerts: Mapping[str, int] = field(default_factory=dict)
    records: tuple[RecordEvent, ...] = ()


def situation_part(situation: Mapping[str, Any]) -> dict[str, Any]:
    """The only parts of ``Situation.to_json()`` an event needs, copied (the live situation goes on
    changing): area, alert categories, pinned ids, dismissed ids with the reason's key. The
    messages, the alerts' evidence and free-text reasons are left behind here."""
    dismissed = situation.get("dismissed") or {}
    return {
        "area": situation.get("area"),
        "alerts": [str(a.get("category", "")) for a in situation.get("alerts") or [] if isinstance(a, dict)],
        "pinned": [str(p) for p in situation.get("pinned") or []],
        "dismissed": {str(rid): reason_key(str(why)) for rid, why in dict(dismissed).items()},
    }


def _met(
    group: Mapping[str, Any],
    track: str,
    person: frozenset[str],
    record_localities: Callable[[str], frozenset[str]] | None,
) -> bool:
    """A track meets the group's need when one of its items fits the need (the engine sets an
    item's ``need`` only when the record fits it) and is not help only of another locality."""
    given = group.get("met")
    if isinstance(given, Mapping) and track in given:
        return bool(given[track])
    for item in group.get("services" if track == "service" else "community") or []:
        if item.get("need") != group.get("need"):
            continue
        places = frozenset(item.get("localities") or ())
        if not places and record_localities is not None:
            places = record_localities(str(item.get("id")))
        if not person or not places or places & person:
            return True
    return False


def build_event(
    suggestion: Mapping[str, Any],
    situation: Mapping[str, Any],
    *,
    key: str,
    day: dt.date,
    localities: Iterable[str] = (),
    record_localities: Callable[[str], frozenset[str]] | None = None,
    earlier_shown: Iterable[str] = (),
) -> Event:
    """The event for a conversation as it stands: ``suggestion`` is ``Suggestion.to_json()``,
    ``situation`` is ``situation_part(Situation.to_json())``. ``localities`` are the person's
    (the JSON's own ``localities`` win when the engine gives them); ``record_localities`` says which
    localities a record names (help only of another locality does not meet a need);
    ``earlier_shown`` are the ids earlier turns showed."""
    person = frozenset(suggestion.get("localities") or localities)
    groups = {g.get("need"): g for g in suggestion.get("plan") or [] if g.get("need")}
    needs = []
    for item in suggestion.get("needs") or []:
        need = str(item.get("id", ""))
        if not _SLUG.match(need):
            continue
        group = groups.get(need, {})
        needs.append(
            NeedEvent(
                need,
                round(float(item.get("score") or 0.0), 3),
                _met(group, "service", person, record_localities),
                _met(group, "community", person, record_localities),
            )
        )
    records: dict[str, RecordEvent] = {}

    def add(rid: str, track: str | None, need: str | None) -> None:
        if _ID.match(rid) and (rid not in records or records[rid].need is None and need):
            records[rid] = RecordEvent(rid, track or (records[rid].track if rid in records else None), need)

    for rid in earlier_shown:
        add(str(rid), None, None)
    for plural, track in (("services", "service"), ("community", "community")):
        for item in suggestion.get(plural) or []:
            add(str(item.get("id")), track, item.get("need") if _SLUG.match(str(item.get("need"))) else None)
        for group in suggestion.get("plan") or []:
            for item in group.get(plural) or []:
                fits = item.get("need") == group.get("need") and _SLUG.match(str(group.get("need")))
                add(str(item.get("id")), track, str(group.get("need")) if fits else None)
    pinned = set(situation.get("pinned") or [])
    dismissed = dict(situation.get("dismissed") or {})
    for rid in [*pinned, *dismissed]:
        add(rid, None, None)
    final = tuple(
        RecordEvent(
            r.record,
            r.track,
            r.need,
            pinned=r.record in pinned,
            dismissed=reason_key(dismissed[r.record]) if r.record in dismissed else None,
        )
        for r in records.values()
    )
    alerts = Counter(c for c in situation.get("alerts") or [] if _SLUG.match(c))
    area = situation.get("area")
    place = sorted(person)[0] if len(person) == 1 else None
    return Event(
        key,
        week_start(day),
        area if isinstance(area, str) and _SLUG.match(area) else None,
        place,
        tuple(needs),
        dict(alerts),
        final,
    )
