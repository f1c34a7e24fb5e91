"""The terminal app's speed, as a person sees it: the real ``helpmate chat`` in tmux, read off the screen.

Prints one JSON object:

- ``tui_first_paint_s``: launch to the first frame (the panels drawn), median of 5. Target < 1 s.
- ``tui_ready_s``: launch to "Ready" (index and embedding model loaded in the background).
- ``tui_echo_while_busy_s``: a key typed right after sending a situation, until it shows in the
  message line (the suggestion is still being computed when it does, if ``echo_before_reply``).

Run with ``.venv/bin/python bench/tui.py`` (needs tmux). Everything is written under a temporary
directory; nothing touches your HELPMATE_HOME. ``--embedder hashing`` skips the real model;
``--size 120x40`` measures another terminal size (80x24, the smallest usual one, by default).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HELPMATE = str(Path(sys.executable).parent / "helpmate")
SITUATION = "He is 78, lonely since his wife died, loves gardening and is behind on his council tax."


def tmux(socket: str, *args: str, env: dict[str, str]) -> str:
    return subprocess.run(
        ["tmux", "-L", socket, *args], env=env, capture_output=True, text=True, check=True
    ).stdout


def wait_screen(socket: str, env: dict[str, str], needle: str, limit: float = 120) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if needle in tmux(socket, "capture-pane", "-p", "-t", "b", env=env):
            return time.perf_counter()
        time.sleep(0.005)
    raise SystemExit(f"bench: never saw {needle!r}")


def one_run(env: dict[str, str], socket: str, size: tuple[int, int]) -> dict[str, float | bool]:
    width, height = (str(n) for n in size)
    started = time.perf_counter()
    tmux(socket, "new-session", "-d", "-s", "b", "-x", width, "-y", height, HELPMATE, "chat", env=env)
    try:
        painted = wait_screen(socket, env, "Community", 30)
        ready = wait_screen(socket, env, "Ready:")
        tmux(socket, "send-keys", "-t", "b", "-l", SITUATION, env=env)
        tmux(socket, "send-keys", "-t", "b", "Enter", env=env)
        sent = time.perf_counter()
        tmux(socket, "send-keys", "-t", "b", "-l", "Q", env=env)
        echoed = _echo(socket, env)
        screen = tmux(socket, "capture-pane", "-p", "-t", "b", env=env)
        busy_at_echo = "Busy:" in screen
        wait_answered(socket, env)
        return {
            "first_paint": painted - started,
            "ready": ready - started,
            "echo": echoed - sent,
            "echo_before_reply": busy_at_echo,
        }
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], env=env, capture_output=True, check=False)


def wait_answered(socket: str, env: dict[str, str], limit: float = 120) -> None:
    """Until the status line says Ready again (the reply and the plan are drawn)."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        screen = tmux(socket, "capture-pane", "-p", "-t", "b", env=env)
        if "Busy:" not in screen and "Ready:" in screen:
            return
        time.sleep(0.05)
    raise SystemExit("bench: the situation was never answered")


def _echo(socket: str, env: dict[str, str]) -> float:
    """When the typed Q shows at the start of the message line (one of the last lines, after the
    input's border or prompt, if it has one)."""
    started = time.perf_counter()
    while time.perf_counter() - started < 60:
        lines = tmux(socket, "capture-pane", "-p", "-t", "b", env=env).splitlines()
        if any(line.strip(" ▊▎│┃▌›>").startswith("Q") for line in lines[-4:]):
            return time.perf_counter()
        time.sleep(0.002)
    raise SystemExit("bench: the typed key never showed:\n" + "\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedder", default="minilm", choices=["minilm", "hashing"])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="80x24", help="the terminal's columns x rows")
    args = parser.parse_args()
    try:
        columns, rows = (int(n) for n in args.size.lower().split("x"))
    except ValueError:
        raise SystemExit(f"bench: --size takes COLUMNSxROWS, e.g. 80x24 (not {args.size!r})") from None
    size = (columns, rows)
    if shutil.which("tmux") is None:
        raise SystemExit("bench/tui.py needs tmux (apt-get install tmux)")
    with tempfile.TemporaryDirectory(prefix="helpmate-bench-tui-") as tmp:
        env = dict(os.environ)
        env.update(
            HELPMATE_HOME=str(Path(tmp) / "home"),
            HELPMATE_KNOWLEDGE=str(HERE.parent / "src" / "helpmate" / "data" / "library"),
            HELPMATE_EMBEDDER=args.embedder,
            HF_HUB_OFFLINE="1",
            TERM="xterm-256color",
        )
        env.pop("HELPMATE_CONFIG", None)
        Path(tmp, "home").mkdir()
        Path(tmp, "home", "config.toml").write_text("[tui]\ncursor_blink = false\n")
        subprocess.run([HELPMATE, "kb", "index"], env=env, check=True, capture_output=True)
        runs = [one_run(env, f"helpmate-bench-{os.getpid()}-{i}", size) for i in range(args.runs)]
    print(
        json.dumps(
            {
                "embedder": args.embedder,
                "size": args.size,
                "tui_first_paint_s": round(statistics.median(r["first_paint"] for r in runs), 3),
                "tui_first_paint_max_s": round(max(r["first_paint"] for r in runs), 3),
                "tui_ready_s": round(statistics.median(r["ready"] for r in runs), 3),
                "tui_echo_while_busy_s": round(statistics.median(r["echo"] for r in runs), 3),
                "echo_before_reply": all(bool(r["echo_before_reply"]) for r in runs),
            }
        )
    )


if __name__ == "__main__":
    main()
