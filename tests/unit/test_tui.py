"""The terminal app, driven with Textual's Pilot: what a worker types, sees and presses.

Every test runs the real engine over the sample library indexed with the hashing embedder; no
test waits on a clock (``settle`` waits for the app's workers, and gates hold a worker when a
test needs it busy).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from textual import events
from textual.widgets import Input, OptionList, TextArea

from helpmate.assistant.engine import Engine
from helpmate.assistant.runtime import Runtime
from helpmate.settings import Settings
from helpmate.tui.app import HelpmateApp, make_app
from helpmate.tui.screens import (
    DismissScreen,
    EditSituationScreen,
    HelpScreen,
    RecordScreen,
    SessionsScreen,
)
from helpmate.tui.settings_screen import SettingsScreen
from helpmate.tui.widgets import AlertBanner, ChatLog, PlanColumn, SituationPanel
from tests.conftest import hashing_runtime
from tests.unit.tui_support import (
    ABUSE,
    LONELY,
    Gate,
    app_for,
    hold_turns,
    plain,
    say,
    settle,
)


def options(column: PlanColumn) -> list[str]:
    return [
        str(column.get_option_at_index(i).id)
        for i in range(column.option_count)
        if column.get_option_at_index(i).id
    ]


def chat_text(app: HelpmateApp) -> str:
    return "\n".join(str(w.render()) for w in app.main_screen.query_one(ChatLog).children)


@pytest.mark.asyncio
async def test_a_situation_shows_needs_and_both_columns_grouped_by_need(app_runtime: Runtime) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "Ready" in str(app.main_screen.query_one("#status").render())
        await say(pilot, LONELY)
        situation = str(app.main_screen.query_one(SituationPanel).query_one("#situation-text").render())
        assert "Needs" in situation and "Loneliness" in situation
        services = app.main_screen.query_one("#services", PlanColumn)
        community = app.main_screen.query_one("#community", PlanColumn)
        assert options(services) and options(community)
        assert all(app_runtime.index.by_id[i].track == "service" for i in options(services))
        assert all(app_runtime.index.by_id[i].track == "community" for i in options(community))
        headings = [
            str(services.get_option_at_index(i).prompt)
            for i in range(services.option_count)
            if services.get_option_at_index(i).disabled
        ]
        assert headings and any("LONELINESS" in h for h in headings)
        first = services.get_option_at_index(1)
        assert "\n" in str(first.prompt)  # name, then the reason on its own line
        assert "You: He is 78" in chat_text(app)


@pytest.mark.asyncio
async def test_a_safeguarding_alert_is_in_words_at_the_top_and_stays_until_acknowledged(
    app_runtime: Runtime,
) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        banner = app.main_screen.query_one(AlertBanner)
        assert not banner.has_class("-pending")
        await say(pilot, ABUSE)
        assert banner.has_class("-pending") and banner.region.y <= 2
        assert "SAFEGUARDING URGENT: Domestic abuse" in plain(app) and "1 alert" in plain(app)
        assert "999" in str(banner.query_one("#alert-routes-text").render())
        await say(pilot, "She loves gardening.")
        assert banner.has_class("-pending"), "an alert must stay until it is acknowledged"
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert not banner.has_class("-pending")
        saved = json.loads(
            (app_runtime.settings.sessions_dir / f"{app.jobs.conversation.session.id}.json").read_text()  # type: ignore[union-attr]
        )
        assert any(a.startswith("domestic-abuse") for a in saved["situation"]["acknowledged"])
        # a new risk after the acknowledgement shows again
        await say(pilot, "She said she wants to die.")
        assert banner.has_class("-pending") and "suicide" in plain(app).lower()


@pytest.mark.asyncio
async def test_the_record_detail_shows_everything_warns_when_overdue_copies_and_pins(
    library: Path, home: Path, fixed_today: Any
) -> None:
    services = library / "records" / "services.yaml"
    data = yaml.safe_load(services.read_text())
    for record in data["records"]:
        record["review_due"] = "2025-01-01"
        record["last_reviewed"] = "2024-01-01"
    services.write_text(yaml.safe_dump(data, sort_keys=False))
    runtime = hashing_runtime(library, home)
    app = app_for(runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, LONELY)
        await pilot.press("ctrl+l")
        column = app.main_screen.query_one("#services", PlanColumn)
        assert app.focused is column
        record_id = column.record_id
        assert record_id
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RecordScreen)
        text = plain(app)
        record = runtime.index.by_id[record_id]
        for expected in ("WARNING: overdue for review", "How to refer", "Eligibility", "Opening times"):
            assert expected in text
        assert record.contact.phone in text
        await pilot.press("c")
        assert record.contact.phone in app.clipboard
        await pilot.press("p")
        await settle(pilot)
        assert not isinstance(app.screen, RecordScreen)
        assert record_id in app.jobs.conversation.pinned  # type: ignore[union-attr]
        assert "[pinned]" in str(column.get_option(record_id).prompt)


@pytest.mark.asyncio
async def test_dismissing_asks_why_and_the_reason_goes_into_the_session(app_runtime: Runtime) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, LONELY)
        await pilot.press("ctrl+l", "tab")
        column = app.main_screen.query_one("#community", PlanColumn)
        assert app.focused is column
        record_id = column.record_id
        assert record_id
        name = app_runtime.index.by_id[record_id].name
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, DismissScreen)
        await pilot.press("enter")  # the first reason: closed
        await settle(pilot)
        assert record_id not in options(column)
        assert app.jobs.conversation.dismissed == {record_id: "Closed"}  # type: ignore[union-attr]
        assert f"Dismissed {name}: Closed" in chat_text(app)
        assert record_id not in chat_text(app), "people read names, never ids"


@pytest.mark.asyncio
async def test_export_writes_both_files_and_shows_their_paths(app_runtime: Runtime) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, ABUSE)
        await pilot.press("ctrl+s")
        await settle(pilot)
        folder = app_runtime.settings.home / "exports"
        worker = folder / "20260101-090001-test-worker.md"
        citizen = folder / "20260101-090001-test-citizen.md"
        assert worker.exists() and citizen.exists()
        assert "## Safeguarding" in worker.read_text() and "Your plan" in citizen.read_text()
        assert str(worker) in chat_text(app) and str(citizen) in chat_text(app)


@pytest.mark.asyncio
async def test_settings_are_saved_to_the_config_file(app_runtime: Runtime, home: Path) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+t")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        screen.query_one("#model", Input).value = "llama3.2"
        screen.query_one("#theme").value = "textual-light"  # type: ignore[attr-defined]
        screen.query_one("#area").value = "wrenford"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.theme == "textual-light"
    saved = tomllib.loads((home / "config.toml").read_text())
    assert saved["area"] == "wrenford"
    assert saved["llm"]["model"] == "llama3.2" and saved["llm"]["provider"] == "none"
    assert saved["tui"] == {"cursor_blink": False, "theme": "textual-light"}
    settings = Settings()
    assert settings.area == "wrenford" and settings.llm.model == "llama3.2"


@pytest.mark.asyncio
async def test_edit_the_situation_what_matters_and_a_need_removed_stick(app_runtime: Runtime) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, LONELY)
        first_need = app.jobs.conversation.situation_view().needs[0][0]  # type: ignore[union-attr]
        await pilot.press("ctrl+r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditSituationScreen)
        screen.query_one("#what_matters", TextArea).text = "staying in his own home\nhis dog"
        needs = screen.query_one("#needs", OptionList)
        needs.focus()
        added = next(
            i for i in range(needs.option_count) if str(needs.get_option_at_index(i).prompt).startswith("[ ]")
        )
        added_id = str(needs.get_option_at_index(added).id)
        needs.highlighted = added
        await pilot.press("enter")  # tick a need helpmate did not find
        needs.highlighted = 0
        await pilot.press("enter")  # untick the first need
        await pilot.press("ctrl+s")
        await settle(pilot)
        view = app.jobs.conversation.situation_view()  # type: ignore[union-attr]
        assert view.what_matters == ["staying in his own home", "his dog"]
        assert first_need not in [n for n, _ in view.needs]
        assert added_id in [n for n, _ in view.needs]
        await say(pilot, "He talks about it a lot.")
        assert first_need not in [n for n, _ in app.jobs.conversation.situation_view().needs]  # type: ignore[union-attr]
        panel = str(app.main_screen.query_one("#situation-text").render())
        assert "staying in his own home" in panel


@pytest.mark.asyncio
async def test_new_session_then_resume_it_from_the_list(app_runtime: Runtime) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, LONELY)
        first = app.jobs.conversation.session.id  # type: ignore[union-attr]
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert app.jobs.conversation.session.id != first  # type: ignore[union-attr]
        assert "He is 78" not in chat_text(app)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert app.jobs.conversation.session.id == first  # type: ignore[union-attr]
        assert "He is 78" in chat_text(app)


@pytest.mark.asyncio
async def test_help_lists_every_binding(app_runtime: Runtime) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = plain(app)
        for words in (
            "Acknowledge alert",
            "Export",
            "Edit situation",
            "Sessions",
            "Settings",
            "Pin",
            "Dismiss",
            "Copy",
        ):
            assert words in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


@pytest.mark.asyncio
async def test_first_paint_comes_before_the_runtime_and_typing_is_answered_once_loaded(
    app_runtime: Runtime,
) -> None:
    gate = Gate()

    def slow_loader(_settings: Settings) -> Runtime:
        gate.wait()
        return app_runtime

    app = app_for(app_runtime, loader=slow_loader)
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await pilot.pause()
            assert "Loading" in str(app.main_screen.query_one("#status").render())
            await pilot.press(*"lonely")
            assert app.main_screen.query_one("#message", Input).value == "lonely"
            await pilot.press("enter")
            await pilot.pause()
            assert "still loading" in chat_text(app)
        finally:
            gate.open()
        await settle(pilot)
        await settle(pilot)
        assert app.jobs.conversation is not None and app.jobs.conversation.session.turns


@pytest.mark.asyncio
async def test_a_keystroke_echoes_while_a_suggestion_is_computed(
    app_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate()
    hold_turns(monkeypatch, gate, lambda _call, _text: True)
    app = app_for(app_runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.main_screen.query_one("#message").focus()
        try:
            await pilot.press(*"lonely", "enter")
            await pilot.pause()
            assert app.busy and "Busy:" in str(app.main_screen.query_one("#status").render())
            await pilot.press(*"next")
            assert app.main_screen.query_one("#message", Input).value == "next"
        finally:
            gate.open()
        await settle(pilot)
        assert not app.busy


@pytest.mark.asyncio
async def test_a_very_long_paste_arrives_whole_and_the_echo_is_shortened(app_runtime: Runtime) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        box = app.main_screen.query_one("#message", Input)
        box.focus()
        pasted = ("He is lonely and behind on rent.\n" * 4000)[:120_000]
        box.post_message(events.Paste(pasted))
        await pilot.pause()
        assert len(box.value) > 100_000 and "\n" not in box.value
        await pilot.press("enter")
        await settle(pilot)
        assert "more characters" in chat_text(app)
        assert app.jobs.conversation is not None and len(app.jobs.conversation.session.turns) == 1


@pytest.mark.asyncio
async def test_resizing_to_40x12_keeps_the_app_working(app_runtime: Runtime) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, ABUSE)
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        banner = app.main_screen.query_one(AlertBanner)
        assert banner.region.height >= 3 and banner.region.bottom <= 12, "the alert must stay in view"
        assert app.main_screen.query_one("#message", Input).region.bottom <= 12
        await say(pilot, "She loves gardening.")
        await pilot.press("f1")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.main_screen.query_one(AlertBanner).has_class("-pending")


@pytest.mark.asyncio
async def test_an_empty_library_is_said_in_words(empty_library: Path, home: Path) -> None:
    runtime = hashing_runtime(empty_library, home)
    app = app_for(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "no records yet" in chat_text(app)
        await say(pilot, LONELY)
        assert "Nothing" in str(
            app.main_screen.query_one("#services", PlanColumn).get_option_at_index(0).prompt
        )


@pytest.mark.asyncio
async def test_a_missing_index_says_what_to_run_and_offers_to_rebuild(library: Path, home: Path) -> None:
    settings = Settings()
    app = make_app(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.jobs.conversation is None
        assert "helpmate kb index" in chat_text(app) and "ctrl+b" in chat_text(app)
        await say(pilot, LONELY)  # the app stays up and says why it cannot answer
        assert "cannot answer until the index is fixed" in chat_text(app)
        await pilot.press("ctrl+b")
        await settle(pilot)
        await settle(pilot)
        assert app.jobs.conversation is not None, chat_text(app)
        assert app.jobs.conversation.session.turns  # the waiting message was answered


@pytest.mark.asyncio
async def test_a_damaged_index_is_reported_not_a_crash(app_runtime: Runtime) -> None:
    index_dir = app_runtime.settings.index_dir
    for snapshot in index_dir.rglob("snapshot.json"):
        snapshot.write_text("{not json")
    from helpmate.assistant.runtime import load_runtime

    app = app_for(app_runtime, loader=lambda settings: load_runtime(settings, warn_stale=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.jobs.conversation is None
        assert "damaged" in chat_text(app) and "--rebuild" in chat_text(app)


def with_scripted_model(monkeypatch: pytest.MonkeyPatch, *script: object) -> Any:
    """Every engine the app makes writes its replies with a scripted chat model (returned)."""
    from helpmate.assistant.llm.composer import ModelComposer
    from helpmate.assistant.llm.fake import ScriptedChatModel

    model = ScriptedChatModel(script=list(script))
    monkeypatch.setattr(
        Runtime,
        "engine",
        lambda self, situation=None: Engine(
            self.suggester, situation, composer=ModelComposer(model, timeout_s=5)
        ),
    )
    return model


@pytest.mark.asyncio
async def test_a_language_model_that_is_down_falls_back_and_says_so(
    app_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_scripted_model(monkeypatch, ConnectionRefusedError("connection refused"))
    app = app_for(app_runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await say(pilot, LONELY)
        assert "own reply" in chat_text(app)
        assert app.main_screen.query_one("#services", PlanColumn).option_count > 1


@pytest.mark.asyncio
async def test_a_composer_that_raises_gives_the_default_reply_with_a_notice_and_the_alert_stays(
    app_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def compose(self, plan: Any, on_token: Any) -> Any:
            raise RuntimeError("model server exploded")

    monkeypatch.setattr(
        Runtime, "engine", lambda self, situation=None: Engine(self.suggester, situation, composer=Broken())
    )
    app = app_for(app_runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await say(pilot, ABUSE)
        text = chat_text(app)
        assert "SAFEGUARDING URGENT: Domestic abuse" in text and "I understood" in text
        assert "language model failed" in text and "own reply" in text
        assert app.main_screen.query_one(AlertBanner).has_class("-pending")
        assert "SAFEGUARDING URGENT: Domestic abuse" in plain(app)
        assert app.main_screen.query_one("#services", PlanColumn).option_count > 1
        await pilot.press(*"still typing")
        assert app.main_screen.query_one("#message", Input).value == "still typing"


@pytest.mark.asyncio
async def test_a_streamed_reply_is_drawn_as_it_arrives_then_replaced_by_the_final_one(
    app_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = with_scripted_model(monkeypatch, "Try the allotment group and the advice service.")
    app = app_for(app_runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await say(pilot, LONELY)
        assert model.received, "the model was asked"
        replies = [w for w in app.main_screen.query_one(ChatLog).children if w.has_class("reply")]
        assert replies and str(replies[-1].render()).strip()
