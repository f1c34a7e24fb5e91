"""Start the app in this terminal (``helpmate chat``) or in a browser (``helpmate serve``)."""

from __future__ import annotations

import os
import shlex
import sys

from helpmate.errors import HelpmateError
from helpmate.settings import Settings


def run_chat(settings: Settings, area: str | None = None) -> None:
    # textual-serve runs the app over pipes with its own driver; anywhere else it needs a terminal.
    if not os.environ.get("TEXTUAL_DRIVER") and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise HelpmateError(
            "helpmate chat needs a terminal",
            hint="for piped input or scripts use 'helpmate ask' or 'helpmate suggest --jsonl'",
        )
    from helpmate.tui.app import make_app

    make_app(settings, area=area).run()


def serve(port: int, area: str | None = None) -> None:
    """Serve ``helpmate chat`` through textual-serve on loopback only: each browser tab gets its
    own process. There is no login, so it must not listen on a shared network."""
    from textual_serve.server import Server

    command = [sys.executable, "-m", "helpmate.cli.main", "chat"]
    if area:
        command += ["--area", area]
    import socket

    with socket.socket() as probe:  # a clear error rather than aiohttp's traceback
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise HelpmateError(
                f"cannot listen on 127.0.0.1:{port} ({exc.strerror})", hint="choose another --port"
            ) from exc
    print(f"helpmate: serving the chat app on http://127.0.0.1:{port} (this machine only; ctrl+c stops)")
    Server(shlex.join(command), host="127.0.0.1", port=port, title="helpmate").serve()
