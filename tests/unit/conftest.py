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

SLOW_MODULES = {
    # The whole terminal app driven key by key (2 to 10 s a test).
    "test_tui",
    "test_tui_alerts_and_recovery",
    "test_tui_jobs",
    "test_tui_layout",
    "test_tui_snapshots",
    "test_tui_words",
    "test_tui_structure_and_config",
    "test_insight_app",
    "test_session_safety_app",
    "test_serve",
    # helpmate run as a user runs it, in another process (1 to 15 s a test).
    "test_cli",
    "test_cli_km",
    "test_insight_cli",
    "test_insight_privacy",
    "test_import_faults",
    "test_index_faults",
    "test_import_contracts",
    # Whole runs of a job: an eval set scored end to end, the safeguarding classifier trained on the
    # whole exemplar bank (20 to 60 s a test).
    "test_eval",
    "test_index_semantic",
    # The real Bristol, North Lincolnshire and Miami feeds read whole (5 to 60 s a test).
    "test_import",
    "test_redact_measured",
}
"""Modules ``make test-fast`` leaves to ``make test``: what they check is end to end, and they take
most of the unit run's time. Everything else (the engine, reading, eligibility, the library, the
index, redaction, the language-model protocols) runs in ``make test-fast``."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


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
