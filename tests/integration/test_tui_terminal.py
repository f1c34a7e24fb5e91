"""Smoke test: the real ``helpmate chat`` in a real terminal (tmux), read back from the screen.

Uses the hashing embedder and a temporary HELPMATE_HOME, so it needs no model and touches no
user data; a private tmux socket keeps it away from any tmux the person running it has open.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

HELPMATE = str(Path(sys.executable).parent / "helpmate")


@pytest.fixture
def tmux(hashing_home: dict[str, str]) -> Iterator[Callable[..., str]]:
    binary = shutil.which("tmux")
    if binary is None:
        pytest.skip("tmux is not installed (apt-get install tmux; .ci/run installs it)")
    socket = f"helpmate-test-{uuid.uuid4().hex[:8]}"

    def run(*args: str) -> str:
        result = subprocess.run(
            [binary, "-L", socket, *args], env=hashing_home, capture_output=True, text=True, check=True
        )
        return result.stdout

    yield run
    subprocess.run([binary, "-L", socket, "kill-server"], capture_output=True, check=False)


def wait_for(read: Callable[[], str], *needles: str, seconds: float = 90) -> str:
    """The screen once it shows every needle; a generous limit only so a hang fails instead of blocking."""
    deadline = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < deadline:
        screen = read()
        if all(n in screen for n in needles):
            return screen
        time.sleep(0.2)
    raise AssertionError(f"never saw {needles!r} on the screen:\n{screen}")


def test_helpmate_chat_in_tmux(tmux: Callable[..., str]) -> None:
    tmux("new-session", "-d", "-s", "chat", "-x", "120", "-y", "40", HELPMATE, "chat")

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", "chat")

    first = wait_for(screen, "Standard services", "Community to pull in", "Ready:")
    assert "Situation" in first and "Conversation" in first
    # One burst, as tmux delivers it: a key typed right after enter starts the next message.
    tmux(
        "send-keys", "-t", "chat", "-l", "Her partner hit her last night. She is lonely and loves gardening."
    )
    tmux("send-keys", "-t", "chat", "Enter")
    tmux("send-keys", "-t", "chat", "-l", "Q")
    shown = wait_for(screen, "SAFEGUARDING URGENT: Domestic abuse", "GARDENING")
    assert "999" in shown
    # the message line: one row, after the bar on its left
    message_line = [line for line in shown.splitlines() if line.startswith(("▊", "▌", "▎"))][-1]
    assert message_line.strip("▊▎ ") == "Q", message_line
    tmux("send-keys", "-t", "chat", "BSpace")
    tmux("send-keys", "-t", "chat", "C-g")
    after = wait_for(screen, "acknowledged", "Acknowledged (f4 their routes): Domestic abuse")
    banner = after.splitlines()[1]  # under the title bar: the alert, now on one line
    assert banner.strip().startswith("Acknowledged (f4 their routes): Domestic abuse"), banner
    tmux("send-keys", "-t", "chat", "C-q")
