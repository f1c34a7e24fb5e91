"""Start the app in this terminal (``helpmate chat``) or in a browser (``helpmate serve``)."""

from __future__ import annotations

import os
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


def serve(port: int, area: str | None = None, *, max_sessions: int = 4) -> None:
    """Serve ``helpmate chat`` to a browser on 127.0.0.1 only, each tab in its own process, behind a
    per-launch token and Host/Origin checks (see ``helpmate.tui.serve``)."""
    import socket

    from helpmate.tui.serve import HelpmateServer, app_command

    with socket.socket() as probe:  # a clear error rather than aiohttp's traceback
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise HelpmateError(
                f"cannot listen on 127.0.0.1:{port} ({exc.strerror})", hint="choose another --port"
            ) from exc
    server = HelpmateServer(app_command(area), port=port, max_sessions=max_sessions)
    print(
        f"helpmate: serving the chat app on {server.url}\n"
        f"(this machine only; open that address, token and all; at most {max_sessions} tabs; ctrl+c stops)",
        flush=True,
    )
    server.serve()
