"""Fixtures for the terminal app's tests (helpers they use are in tests/unit/tui_support.py).

The app gets a HELPMATE_HOME whose config turns cursor blinking off (so a snapshot never catches
the cursor half way) and records no insight events, and either a runtime over a copy of the sample
library indexed with the hashing embedder (``app_runtime``) or the scripted engine (``scripted``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from helpmate.assistant.runtime import Runtime
from tests.conftest import hashing_runtime
from tests.unit.tui_support import TODAY, ScriptedRuntime


@pytest.fixture
def home(isolated: Path) -> Path:
    """HELPMATE_HOME (set by the autouse fixture) with a config that keeps snapshots still (and
    records no insight events: tests/unit/test_insight_app.py turns that on where it tests it)."""
    folder = isolated / "home"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(
        "[tui]\ncursor_blink = false\n[insight]\nrecord = false\n", encoding="utf-8"
    )
    return folder


@pytest.fixture
def app_runtime(library: Path, home: Path) -> Runtime:
    """The sample library (a copy) indexed with the hashing embedder, in the app's quiet ``home``
    (tests/conftest.py's ``runtime`` is the same without the config file)."""
    return hashing_runtime(library, home)


@pytest.fixture
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setattr("helpmate.tui.conversation.today", lambda: TODAY)
    return TODAY


@pytest.fixture
def scripted(home: Path) -> ScriptedRuntime:
    return ScriptedRuntime(home)
