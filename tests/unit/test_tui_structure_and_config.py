"""The terminal app's structure (no heavy import before the first paint, every module under 450
lines, one module reads an engine alert), its config writer, and what it refuses at start (a
missing index, no terminal, a port in use). Which layer may import which is checked by the
import-linter contracts (test_import_contracts.py)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from helpmate.errors import HelpmateError
from helpmate.settings import Settings


def test_loading_errors_are_helpmate_errors_with_a_hint(tmp_path: Path) -> None:
    from helpmate.assistant.runtime import load_runtime

    with pytest.raises(HelpmateError) as caught:
        load_runtime(Settings(home=tmp_path / "nothing", embedder="hashing"))
    assert "helpmate kb index" in caught.value.hint


def test_the_app_imports_no_heavy_module_until_it_needs_one() -> None:
    """The app paints before the model loads: torch, the vector store and the language model load
    lazily, off the UI's path. (Which layer may import which, and Textual staying in the UI, are the
    import-linter contracts in pyproject.toml: tests/unit/test_import_contracts.py.)"""
    absent = ["torch", "sentence_transformers", "chromadb", "langchain_core"]
    code = f"import sys, helpmate.tui.app; print([m for m in {absent!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", f"helpmate.tui.app imported {result.stdout}"


TUI = Path(__file__).resolve().parents[2] / "src" / "helpmate" / "tui"


@pytest.mark.parametrize("path", sorted(TUI.glob("*.py")), ids=lambda path: path.name)
def test_every_module_of_the_app_is_under_450_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) < 450


def test_only_conversation_py_reads_an_engine_alert() -> None:
    """The engine's alerts are dicts until they get a type: one module of the app reads them, so
    the switch is one edit there."""
    for path in TUI.glob("*.py"):
        if path.name == "conversation.py":
            continue
        source = path.read_text()
        for key in ('"category"', '"evidence"', '"route"', '"level"', "alert_key", "situation.alerts"):
            assert key not in source, f"{path.name} reads alerts ({key})"


def test_the_config_writer_keeps_other_settings(tmp_path: Path) -> None:
    from helpmate.tui.config import read_theme, save_settings

    path = tmp_path / "config.toml"
    path.write_text('knowledge = "/srv/lib"\n[llm]\nbase_url = "http://127.0.0.1:8080/v1"\ntimeout_s = 20\n')
    save_settings(path, area=None, provider="openai", model='my "model"', redact=False, theme="nord")
    data = tomllib.loads(path.read_text())
    assert data == {
        "knowledge": "/srv/lib",
        "llm": {
            "base_url": "http://127.0.0.1:8080/v1",
            "timeout_s": 20,
            "provider": "openai",
            "model": 'my "model"',
            "redact": False,
        },
        "tui": {"theme": "nord"},
    }
    assert read_theme(path) == "nord"


def test_the_config_writer_keeps_comments_and_layout(tmp_path: Path) -> None:
    from helpmate.tui.config import save_settings

    path = tmp_path / "config.toml"
    before = (
        "# Team laptop: ask Sam before changing the library\n"
        'knowledge = "/srv/lib"\n'
        'area = "bristol"  # where most of our visits are\n'
        "\n"
        "[llm]\n"
        "# the ward's server\n"
        'provider = "ollama"\n'
        "tools = {timeout = 20, retries = 2}\n"
    )
    path.write_text(before)
    save_settings(path, area="north-lincolnshire", provider="none", model="", redact=True, theme="nord")
    after = path.read_text()
    for kept in (
        "# Team laptop: ask Sam before changing the library",
        "# where most of our visits are",
        "# the ward's server",
        'knowledge = "/srv/lib"',
        "tools = {timeout = 20, retries = 2}",
    ):
        assert kept in after
    data = tomllib.loads(after)
    assert data["area"] == "north-lincolnshire" and data["llm"]["provider"] == "none"
    assert data["tui"] == {"theme": "nord"}

    save_settings(path, area=None, provider="none", model="", redact=True, theme="nord")
    assert "area" not in tomllib.loads(path.read_text())
    assert "# Team laptop" in path.read_text()


def test_a_broken_config_file_is_left_as_it_was(tmp_path: Path) -> None:
    from helpmate.tui.config import save_settings

    path = tmp_path / "config.toml"
    path.write_text("[llm\nprovider = ")
    with pytest.raises(ValueError):
        save_settings(path, area=None, provider="none", model="", redact=True, theme="nord")
    assert path.read_text() == "[llm\nprovider = "


HELPMATE = str(Path(sys.executable).parent / "helpmate")


def test_chat_without_a_terminal_says_what_to_use_instead() -> None:
    result = subprocess.run([HELPMATE, "chat"], input="hello\n", capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and "helpmate ask" in result.stderr


def test_serve_on_a_port_in_use_says_so() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [HELPMATE, "serve", "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 2
    assert f"127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
