"""What one conversation leaves for insight: the event built from the engine's JSON contract."""

from __future__ import annotations

import datetime as dt
from typing import Any

from helpmate.insight.events import (
    DISMISS_REASONS,
    build_event,
    conversation_key,
    dismiss_reason_text,
    reason_key,
    situation_part,
    week_start,
)


def item(rid: str, need: str | None) -> dict[str, Any]:
    return {"id": rid, "name": "Name " + rid, "score": 0.5, "need": need, "why": "because Mary said so"}


SUGGESTION = {
    "needs": [
        {"id": "loneliness", "label": "Loneliness", "score": 0.61234},
        {"id": "debt", "label": "Debt", "score": 0.4},
        {"id": "housing", "label": "Housing", "score": 0.3},
    ],
    "safeguarding": [],
    "services": [item("s1", "loneliness"), item("s2", "debt")],
    "community": [item("c1", "loneliness")],
    "plan": [
        {
            "need": "loneliness",
            "label": "L",
            "services": [item("s1", "loneliness")],
            "community": [item("c1", "loneliness")],
        },
        # the engine filled the debt group with a record that does not fit it (need differs)
        {"need": "debt", "label": "D", "services": [item("s2", None)], "community": []},
        {"need": "housing", "label": "H", "services": [item("s3", "housing")], "community": []},
        {"need": None, "label": "Also close", "services": [], "community": [item("c9", None)]},
    ],
}
SITUATION = {
    "messages": ["Mary Jones, 07700 900123, lonely"],
    "area": "bristol",
    "alerts": [
        {"category": "domestic-abuse", "level": "urgent", "evidence": "he hit Mary"},
        {"category": "domestic-abuse", "level": "concern", "evidence": "scared of him"},
    ],
    "pinned": ["c1"],
    "dismissed": {"s2": "Waiting list", "c9": "Other: Mary's cousin runs it"},
}


def test_an_event_holds_needs_met_per_track_alert_counts_and_record_ids_only() -> None:
    event = build_event(SUGGESTION, situation_part(SITUATION), key="k" * 32, day=dt.date(2026, 12, 3))
    assert event.week == dt.date(2026, 11, 30)  # the Monday: never the day or the time
    assert event.area == "bristol"
    needs = {n.need: n for n in event.needs}
    assert needs["loneliness"].strength == 0.612
    assert (needs["loneliness"].met_service, needs["loneliness"].met_community) == (True, True)
    assert (needs["debt"].met_service, needs["debt"].met_community) == (False, False)  # shown, but not a fit
    assert needs["housing"].met_service and not needs["housing"].met_community
    assert event.alerts == {"domestic-abuse": 2}
    records = {r.record: r for r in event.records}
    assert set(records) == {"s1", "s2", "c1", "s3", "c9"}
    assert records["c1"].pinned and records["c1"].need == "loneliness" and records["c1"].track == "community"
    assert records["s2"].dismissed == "waiting-list"
    assert records["c9"].dismissed == "other"
    assert "Mary" not in repr(event) and "07700" not in repr(event) and "hit" not in repr(event)


def test_the_engines_own_met_and_localities_win_when_given() -> None:
    given = {
        **SUGGESTION,
        "localities": ["South Gloucestershire"],
        "plan": [
            {"need": "debt", "met": {"service": True, "community": False}, "services": [], "community": []}
        ],
    }
    event = build_event(given, situation_part(SITUATION), key="k", day=dt.date(2026, 12, 3))
    debt = next(n for n in event.needs if n.need == "debt")
    assert debt.met_service and not debt.met_community
    assert event.locality == "South Gloucestershire"


def test_help_only_of_another_locality_leaves_the_need_unmet() -> None:
    places = {"s1": frozenset({"North Somerset"}), "c1": frozenset()}
    event = build_event(
        SUGGESTION,
        situation_part(SITUATION),
        key="k",
        day=dt.date(2026, 12, 3),
        localities=["South Gloucestershire"],
        record_localities=lambda rid: places.get(rid, frozenset()),
    )
    loneliness = next(n for n in event.needs if n.need == "loneliness")
    assert not loneliness.met_service  # the only service names another council's area only
    assert loneliness.met_community  # the group names no locality: area-wide help counts


def test_earlier_turns_records_count_as_shown() -> None:
    event = build_event(
        SUGGESTION, situation_part(SITUATION), key="k", day=dt.date(2026, 12, 3), earlier_shown=["old-1"]
    )
    assert any(r.record == "old-1" and r.need is None for r in event.records)


def test_dismissal_reasons_map_to_the_fixed_list_and_free_text_stays_behind() -> None:
    assert list(DISMISS_REASONS) == ["closed", "not-suitable", "too-far", "waiting-list", "declined", "other"]
    for key, label in DISMISS_REASONS.items():
        assert reason_key(label) == key
        assert reason_key(key) == key
    assert reason_key("Other: her son drives her there") == "other"
    assert reason_key("she went once and did not like it") == "other"
    assert reason_key("  waiting   LIST ") == "waiting-list"
    assert dismiss_reason_text("other", " moved  away ") == "Other: moved away"
    part = situation_part(SITUATION)
    assert part["dismissed"] == {"s2": "waiting-list", "c9": "other"}
    assert "messages" not in part and "evidence" not in repr(part) and "Mary" not in repr(part)


def test_the_conversation_key_is_stable_keyed_and_not_the_session_id() -> None:
    secret, other = b"s" * 32, b"t" * 32
    key = conversation_key(secret, "20261203-101500-ab12")
    assert key == conversation_key(secret, "20261203-101500-ab12") and len(key) == 32
    assert key != conversation_key(other, "20261203-101500-ab12")
    assert "20261203" not in key


def test_weeks_start_on_monday() -> None:
    assert week_start(dt.date(2026, 12, 6)) == dt.date(2026, 11, 30)
    assert week_start(dt.date(2026, 11, 30)) == dt.date(2026, 11, 30)
