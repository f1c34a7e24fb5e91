"""Fixtures and helpers for the terminal app's tests (no tests here).

The app gets a runtime over a copy of the sample library indexed with the hashing embedder, a
session store whose ids are fixed (so snapshots do not change), and a config file that turns
cursor blinking off (so a snapshot never catches the cursor half way).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from helpmate.assistant.runtime import Runtime, load_runtime, open_store
from helpmate.assistant.sessions import Session, SessionStore
from helpmate.index.builder import build_index
from helpmate.index.embedders import HashingEmbedder
from helpmate.knowledge.library import load_library
from helpmate.settings import Settings
from helpmate.tui.app import HelpmateApp, make_app

ABUSE = "Her partner hit her last night and she is scared to go home. She is lonely and in debt."
LONELY = "He is 78, lonely since his wife died, loves gardening and is behind on his council tax."
TODAY = dt.date(2026, 11, 28)


class FixedStore(SessionStore):
    """Session ids and times that do not change between runs."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.count = 0

    def new(self) -> Session:
        self.count += 1
        return Session(f"20260101-0900{self.count:02d}-test", "2026-01-01T09:00:00")


def build(library: Path, home: Path) -> Runtime:
    settings = Settings(home=home, knowledge=library, embedder="hashing")
    embedder = HashingEmbedder()
    build_index(load_library(library), settings.index_dir, open_store(settings), embedder)
    return load_runtime(settings, embedder, warn_stale=False)


@pytest.fixture
def home(isolated: Path) -> Path:
    """HELPMATE_HOME (set by the autouse fixture) with a config that keeps snapshots still."""
    folder = isolated / "home"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text("[tui]\ncursor_blink = false\n", encoding="utf-8")
    return folder


@pytest.fixture
def runtime(library: Path, home: Path) -> Runtime:
    return build(library, home)


@pytest.fixture
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setattr("helpmate.tui.conversation.today", lambda: TODAY)
    return TODAY


def app_for(runtime: Runtime, **kwargs: Any) -> HelpmateApp:
    loader: Callable[[Settings], Runtime] = kwargs.pop("loader", lambda _settings: runtime)
    return make_app(
        runtime.settings, loader=loader, store=FixedStore(runtime.settings.sessions_dir), **kwargs
    )


async def settle(pilot: Pilot[Any]) -> None:
    """Until the app has loaded (or failed to) and no engine work is running."""
    app = pilot.app
    assert isinstance(app, HelpmateApp)
    for _ in range(500):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not app.busy and (app.conversation is not None or app.problem is not None):
            return
    raise AssertionError("the app did not settle")


async def say(pilot: Pilot[Any], text: str) -> None:
    app = pilot.app
    assert isinstance(app, HelpmateApp)
    box = app.main_screen.query_one("#message", Input)
    box.focus()
    box.value = text  # as a paste would; key by key echo has its own test
    await pilot.press("enter")
    await settle(pilot)


def screen_text(app: HelpmateApp) -> str:
    """Everything the active screen shows, as plain text (from an SVG-free export)."""
    return app.export_screenshot()


def plain(app: HelpmateApp) -> str:
    """The active screen's text, without SVG markup."""
    import html
    import re

    svg = app.export_screenshot()
    text = re.sub(r"<[^>]+>", "", svg)
    return " ".join(html.unescape(text).replace("\xa0", " ").split())


class Gate:
    """Holds a worker thread until the test opens it."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def wait(self) -> None:
        assert self.event.wait(60), "the test never opened the gate"

    def open(self) -> None:
        self.event.set()
