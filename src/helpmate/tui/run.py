"""Start the app in this terminal (``helpmate chat``) or in a browser (``helpmate serve``)."""

from __future__ import annotations

import shlex
import sys

from helpmate.settings import Settings


def run_chat(settings: Settings, area: str | None = None) -> None:
    from helpmate.tui.app import make_app

    make_app(settings, area=area).run()


def serve(port: int, area: str | None = None) -> None:
    """Serve ``helpmate chat`` through textual-serve on loopback only: each browser tab gets its
    own process. There is no login, so it must not listen on a shared network."""
    from textual_serve.server import Server

    command = [sys.executable, "-m", "helpmate.cli.main", "chat"]
    if area:
        command += ["--area", area]
    Server(shlex.join(command), host="127.0.0.1", port=port, title="helpmate").serve()
