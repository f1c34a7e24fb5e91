"""People read names and labels, never slugs or ids (issue 14): every message and screen of the
app, the situation editor's keys, and the record detail (the whole reason; ids once, last).

Over the scripted engine, whose ids (``svc-refuge``), need slugs (``domestic-abuse``), alert
categories (``suicide-self-harm``) and session ids (``20260101-...``) are easy to spot.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import OptionList

from helpmate.tui.app import HelpmateApp
from helpmate.tui.screens import EditSituationScreen, RecordScreen, SessionsScreen
from helpmate.tui.settings_screen import SettingsScreen
from helpmate.tui.widgets import ChatLog
from tests.unit.tui_support import (
    SCRIPTED_RECORDS,
    ScriptedRuntime,
    app_for,
    plain,
    say,
    settle,
)

ABUSE = "Her partner hit her last night; she is lonely and in debt."
DIE = "She said she wants to die."
IDS = [r.id for r in SCRIPTED_RECORDS] + ["domestic-abuse", "suicide-self-harm", "20260101-0900"]


def chat_text(app: HelpmateApp) -> str:
    return "\n".join(str(w.render()) for w in app.main_screen.query_one(ChatLog).children)


def situation_text(app: HelpmateApp) -> str:
    return str(app.main_screen.query_one("#situation-text").render())


def no_ids(text: str, where: str) -> None:
    shown = [i for i in IDS if i in text]
    assert not shown, f"{where} shows {shown}:\n{text}"


@pytest.mark.asyncio
async def test_the_situation_editor_opens_on_its_needs_so_down_and_enter_work(
    scripted: ScriptedRuntime,
) -> None:
    app = app_for(scripted)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, ABUSE)
        await pilot.press("ctrl+r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditSituationScreen)
        needs = screen.query_one("#needs", OptionList)
        assert app.focused is needs and needs.highlighted == 0
        await pilot.press("down", "enter")  # no tab first
        assert str(needs.get_option_at_index(1).prompt) == "[ ] Loneliness and social isolation"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, EditSituationScreen)
        assert app.jobs.conversation is not None
        assert app.jobs.conversation.situation.excluded_needs == ["loneliness"]
        # an unticked need is shown by its label
        assert "not: Loneliness and social isolation" in situation_text(app)
        assert "Situation corrected: needs." in chat_text(app)


@pytest.mark.asyncio
async def test_dismissing_says_the_records_name(scripted: ScriptedRuntime) -> None:
    app = app_for(scripted)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, ABUSE)
        await pilot.press("ctrl+l", "x")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert "Dismissed Northgate Refuge: Closed" in chat_text(app)  # the first fixed reason
        no_ids(chat_text(app), "the conversation")


@pytest.mark.asyncio
async def test_the_record_detail_shows_the_whole_reason_and_its_ids_once_on_the_last_line(
    scripted: ScriptedRuntime, fixed_today: Any
) -> None:
    app = app_for(scripted)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, ABUSE)
        refuge = next(r for r in SCRIPTED_RECORDS if r.id == "svc-refuge")
        assert len(refuge.description) > 140  # the plan shows it cut to a line
        column = app.main_screen.query_one("#services", OptionList)
        assert "…" in str(column.get_option("svc-refuge").prompt)
        await pilot.press("ctrl+l", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RecordScreen) and screen.record.id == "svc-refuge"
        text = str(screen.query_one("#record-text").render())
        assert "…" not in text and "..." not in text
        assert "Why: For domestic abuse." in text
        assert " ".join(refuge.description.split()) in " ".join(text.split())
        assert text.count("svc-refuge") == 1
        assert text.rstrip().splitlines()[-1] == "Record: svc-refuge (source: test)"


@pytest.mark.asyncio
async def test_no_message_or_screen_shows_a_slug_or_an_id(scripted: ScriptedRuntime) -> None:
    """A whole session, looking at the screen after each step (the record detail's last line is
    the one place for ids, and is tested above)."""
    app = app_for(scripted)
    async with app.run_test(size=(120, 40)) as pilot:

        async def look(where: str) -> None:
            await settle(pilot)
            no_ids(plain(app), where)
            no_ids(chat_text(app), f"the conversation, after {where}")
            no_ids(situation_text(app), f"the situation, after {where}")

        await look("loading")
        await say(pilot, ABUSE)
        await say(pilot, DIE)
        await look("two alerts")
        assert "SAFEGUARDING URGENT: Suicide or self-harm" in plain(app)
        await pilot.press("ctrl+g")
        await look("acknowledging")
        assert (
            "Safeguarding alerts acknowledged (saved in the session): Suicide or self-harm, Domestic abuse."
            in (chat_text(app))
        )
        assert 'Acknowledged (f4 their routes): Suicide or self-harm ("wants to die")' in plain(app)
        await pilot.press("ctrl+l", "down", "p")
        await look("pinning")
        assert "Pinned Social Prescribing Link Workers into the plan." in chat_text(app)
        await pilot.press("x")
        await pilot.pause()
        no_ids(plain(app), "the dismiss screen")
        await pilot.press("enter")
        await look("dismissing")
        await pilot.press("ctrl+r")
        await look("the situation editor")
        await pilot.press("enter", "ctrl+s")
        await look("the edit")
        assert "not: Domestic abuse" in situation_text(app)
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert "Northgate" in plain(app) and "(northgate)" not in plain(app)  # the area's name
        no_ids(plain(app), "the settings")
        await pilot.press("escape")
        await pilot.press("ctrl+n")
        await look("a new session")
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)
        text = plain(app)
        assert "1 Jan 2026, 09:00" in text and "Her partner hit her" in text
        no_ids(text, "the list of sessions")
        await pilot.press("enter")
        await look("resuming")
        assert "Resumed the session of 1 Jan 2026, 09:00 (2 turn(s))." in chat_text(app)
        assert app.sub_title == "session of 1 Jan 2026, 09:00"
        await pilot.press("f1")
        await look("the help")


@pytest.mark.asyncio
async def test_a_reply_names_records_and_alerts_in_words(scripted: ScriptedRuntime) -> None:
    """The engine's reply cites records by id and alerts by category for the line chat; the app
    shows their names and labels."""
    from helpmate.tui.conversation import readable

    records = {r.id: r for r in SCRIPTED_RECORDS}
    reply = (
        'SAFEGUARDING URGENT: domestic-abuse (heard: "partner hit").\n'
        "- service: Northgate Refuge [svc-refuge]: safe rooms.\n"
        "Try [com-shed] too; [not-a-record] stays."
    )
    assert readable(reply, records.get) == (
        'SAFEGUARDING URGENT: Domestic abuse (heard: "partner hit").\n'
        "- service: Northgate Refuge: safe rooms.\n"
        "Try Northgate Men's Shed too; [not-a-record] stays."
    )
