"""Snapshots of the terminal app's main states at 80x24 and 120x40 (SVG under __snapshots__):
ready, one and two alerts pending or acknowledged, the plan, the record detail, the situation
panel and its editor, the help.

Deterministic: a scripted engine over a few fixed records (so the snapshots change only when the
screen does, not when retrieval or the sample library improves), fixed session ids, no cursor
blink (the test config), a fixed date for review warnings. After an intended change to the screen or
the engine's output, look at the report (``pytest --snapshot-report``) and re-record with
``.venv/bin/pytest tests/unit/test_tui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from tests.unit.tui_support import (
    ScriptedRuntime,
    app_for,
    say,
    settle,
)

ABUSE = "Her partner hit her last night; she is lonely and in debt."
DIE = "She said she wants to die."
LONELY = "He is lonely since his wife died and behind with debt."

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_ready(snap_compare: Any, scripted: ScriptedRuntime, size: tuple[int, int]) -> None:
    assert snap_compare(app_for(scripted), terminal_size=size, run_before=settle)


ALERTS = {  # what is said, and whether ctrl+g is pressed after
    "one": ([ABUSE], False),
    "two": ([ABUSE, DIE], False),
    "one-acknowledged": ([ABUSE], True),
    "two-acknowledged": ([ABUSE, DIE], True),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("state", list(ALERTS))
def test_alerts(snap_compare: Any, scripted: ScriptedRuntime, size: tuple[int, int], state: str) -> None:
    """Pending alerts prominent (one line each, newest first, the routes below); acknowledged ones
    on one line; the conversation and the plan keep their rows."""
    said, acknowledge = ALERTS[state]

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for text in said:
            await say(pilot, text)
        if acknowledge:
            await pilot.press("ctrl+g")
            await settle(pilot)

    assert snap_compare(app_for(scripted), terminal_size=size, run_before=run_before)


def test_situation_shown_at_80x24(snap_compare: Any, scripted: ScriptedRuntime) -> None:
    """f5 brings back the situation panel a narrow terminal starts without."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await say(pilot, LONELY)
        await pilot.press("f5")
        await pilot.pause()

    assert snap_compare(app_for(scripted), terminal_size=(80, 24), run_before=run_before)


def test_situation_editor(snap_compare: Any, scripted: ScriptedRuntime) -> None:
    """The editor opens on its needs; down and enter untick the second at once."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await say(pilot, ABUSE)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("down", "enter")
        await pilot.pause()

    assert snap_compare(app_for(scripted), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_plan_without_alert(snap_compare: Any, scripted: ScriptedRuntime, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await say(pilot, LONELY)
        await pilot.press("ctrl+l")

    assert snap_compare(app_for(scripted), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_record_detail(
    snap_compare: Any, scripted: ScriptedRuntime, fixed_today: Any, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await say(pilot, ABUSE)  # the refuge's review is overdue
        await pilot.press("ctrl+l", "enter")
        await pilot.pause()

    assert snap_compare(app_for(scripted), terminal_size=size, run_before=run_before)


def test_help(snap_compare: Any, scripted: ScriptedRuntime) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(app_for(scripted), terminal_size=(100, 40), run_before=run_before)
