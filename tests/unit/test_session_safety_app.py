"""The terminal app over damaged session files and a full disk (issue 13): the sessions list shows
a damaged file instead of crashing, and a reply with its alert is shown when the save fails."""

from __future__ import annotations

import errno
import json
from typing import Any

import pytest
from textual.widgets import OptionList

from helpmate.assistant.runtime import Runtime
from helpmate.tui.screens import SessionsScreen
from tests.unit.tui_support import (
    ABUSE,
    app_for,
    plain,
    say,
    settle,
)


@pytest.mark.asyncio
async def test_the_sessions_list_shows_a_damaged_file_and_the_app_goes_on(app_runtime: Runtime) -> None:
    folder = app_runtime.settings.sessions_dir
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "20250101-090000-bad1.json").write_text(
        json.dumps({"created": "2025-01-01T09:00:00", "situation": None, "turns": "oops"})
    )
    app = app_for(app_runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)
        options = app.screen.query_one(OptionList)
        damaged = options.get_option("20250101-090000-bad1.json")
        assert damaged.disabled and "damaged" in str(damaged.prompt)
        await pilot.press("enter")  # nothing to resume: the list stays, nothing crashes
        await pilot.press("escape")
        await settle(pilot)
        await say(pilot, ABUSE)
        assert "Domestic abuse" in plain(app) or "domestic abuse" in plain(app)


@pytest.mark.asyncio
async def test_a_full_disk_shows_the_reply_and_alert_then_one_line(
    app_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("helpmate.assistant.sessions.atomic_write", no_space)
    app = app_for(app_runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, ABUSE)
        text = plain(app)
        assert "Not saved: No space left on device" in text
        assert "went wrong" not in text, "the turn itself did not fail"
        conversation = app.jobs.conversation
        assert conversation is not None and conversation.session.turns, "the turn is kept in memory"
        assert conversation.pending_alerts(), "the alert is raised and shown"
