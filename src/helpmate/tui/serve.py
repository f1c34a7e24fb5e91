"""``helpmate serve``: the chat app in a browser on this machine, through textual-serve.

textual-serve alone answers any page in the worker's browser (a foreign site's script can open its
websocket and type into the app), loads a web font from the internet and starts an app process for
every tab. This server, on 127.0.0.1 only:

- refuses (403) a request whose ``Host`` is not ``127.0.0.1:PORT`` (DNS rebinding) or that carries an
  ``Origin`` other than ``http://127.0.0.1:PORT`` (another site's page);
- needs the launch's secret token: the printed URL carries it (``/?token=...``, as Jupyter does), the
  first page load keeps it in an HttpOnly, SameSite=Strict cookie for the page's own requests, and the
  app's websocket URL carries it in its path (``/ws/TOKEN``);
- runs at most ``[serve] max_sessions`` apps at once; the next tab gets a page saying so;
- serves every asset itself (textual-serve's script, stylesheet and Roboto Mono font files; no font
  service), under a Content-Security-Policy that lets the page reach nothing but this server;
- starts the apps with ``HELPMATE_IN_BROWSER=1``, so their footer shows keys a browser passes on.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
import secrets
import shlex
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp_jinja2
import jinja2
import textual_serve
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

log = logging.getLogger("helpmate.serve")

HOST = "127.0.0.1"
WEB_DIR = Path(__file__).resolve().parent / "web"
"""helpmate's page (``index.html``): textual-serve's own, with no asset from another host."""
STATIC_DIR = Path(textual_serve.__file__).resolve().parent / "static"
"""textual-serve's script, stylesheet and fonts (Roboto Mono, Apache License 2.0), served as they are."""
IN_BROWSER_ENV = "HELPMATE_IN_BROWSER"
"""Set to 1 for the app processes: the app then shows keys that a browser does not keep for itself."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def full_message(max_sessions: int) -> str:
    tabs = "tab" if max_sessions == 1 else "tabs"
    return f"helpmate is already open in {max_sessions} {tabs}; close one and reload."


def one_line_page(status: int, text: str) -> web.Response:
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>helpmate</title></head>'
        f"<body><p>{html.escape(text, quote=False)}</p></body></html>\n"
    )
    return web.Response(status=status, text=body, content_type="text/html")


class HelpmateServer(Server):
    """textual-serve's server with the checks above; one instance serves one launch."""

    def __init__(self, command: str, *, port: int, max_sessions: int = 4, token: str | None = None) -> None:
        super().__init__(
            command, host=HOST, port=port, title="helpmate", statics_path=STATIC_DIR, templates_path=WEB_DIR
        )
        self.token = token or secrets.token_urlsafe(32)
        self.origin = f"http://{HOST}:{port}"
        self.max_sessions = max_sessions
        self.sessions = 0
        self._releasing: set[asyncio.Future[None]] = set()
        """App processes running now (one per open tab)."""
        self.cookie = f"helpmate_token_{port}"  # cookies are per host, not per port

    @property
    def url(self) -> str:
        """The address to open: the only one that works without the cookie."""
        return f"{self.origin}/?token={self.token}"

    # ------------------------------------------------------------------ checks

    def _token_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(given.encode(), self.token.encode())

    def refusal(self, request: web.Request) -> str | None:
        """Why ``request`` is refused, or None when it may pass."""
        if request.headers.get("Host") != f"{HOST}:{self.port}":
            return f"helpmate answers only at {self.origin}: open the address 'helpmate serve' printed."
        origin = request.headers.get("Origin")
        if origin is not None and origin != self.origin:
            return "helpmate does not answer other web pages: open the address 'helpmate serve' printed."
        if request.match_info.route.name == "websocket":
            ok = self._token_matches(request.match_info.get("token"))
        else:
            ok = self._token_matches(request.query.get("token")) or self._token_matches(
                request.cookies.get(self.cookie)
            )
        if not ok:
            return "Open helpmate with the address 'helpmate serve' printed (the one with ?token=...)."
        return None

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        reason = self.refusal(request)
        if reason is not None:
            path = request.path.replace(self.token, "TOKEN")
            log.warning("refused %s %s: %s", request.method, path, reason)
            return one_line_page(403, reason)
        return await handler(request)

    async def security_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        ws = f"ws://{HOST}:{self.port}"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            f"font-src 'self'; img-src 'self' data:; connect-src 'self' {ws}; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        )
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"

    # ------------------------------------------------------------------ the web application

    async def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self.guard])
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(WEB_DIR), autoescape=True)
        app.add_routes(
            [
                web.get("/", self.handle_index, name="index"),
                web.get("/ws/{token}", self.handle_websocket, name="websocket"),
                web.get("/download/{key}", self.handle_download, name="download"),
                web.static("/static", STATIC_DIR, show_index=False, name="static"),
            ]
        )
        app.on_response_prepare.append(self.security_headers)
        app.on_startup.append(self.on_startup)
        app.on_shutdown.append(self.on_shutdown)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints its logo and the address without the token: the CLI prints the URL."""

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        if self.sessions >= self.max_sessions:
            return one_line_page(503, full_message(self.max_sessions))
        context = {
            "title": self.title,
            "static": "/static/",
            "websocket_url": f"ws://{HOST}:{self.port}/ws/{self.token}",
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
        }
        response = aiohttp_jinja2.render_template("index.html", request, context)
        if self._token_matches(request.query.get("token")):
            response.set_cookie(self.cookie, self.token, httponly=True, samesite="Strict", path="/")
        return response

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """textual-serve's handler, counting the apps and refusing one over the limit."""
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        if self.sessions >= self.max_sessions:
            # Tabs opened together can all pass the page's check: this one is told in its terminal
            # (closing the socket would cover the words with "Session ended").
            await websocket.send_bytes(f"\x1b[2J\x1b[H{full_message(self.max_sessions)}\r\n".encode())
            async for _ in websocket:
                pass
            return websocket
        self.sessions += 1
        app_service: AppService | None = None

        async def close() -> None:
            await websocket.close()

        try:
            app_service = AppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            await app_service.start(
                to_int(request.query.get("width", "80"), 80), to_int(request.query.get("height", "24"), 24)
            )
            messages = asyncio.ensure_future(self._process_messages(websocket, app_service))
            app_task = app_service._task  # ends when the app process does, even without saying so
            assert app_task is not None
            await asyncio.wait({messages, app_task}, return_when=asyncio.FIRST_COMPLETED)
            if not messages.done():
                await websocket.close()  # the tab shows "Session ended" and its slot is free
                messages.cancel()
            elif messages.exception() is not None:  # a message textual-serve could not read
                log.warning("closing a tab after a bad message: %r", messages.exception())
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:
            log.exception(error)
        finally:
            # aiohttp cancels this handler when the tab goes: the app's stop and the slot's return
            # run in their own task so a cancellation cannot skip them.
            release = asyncio.ensure_future(self._release(app_service))
            self._releasing.add(release)
            release.add_done_callback(self._releasing.discard)
            await asyncio.shield(release)
        return websocket

    async def _release(self, app_service: AppService | None) -> None:
        try:
            if app_service is not None:
                await stop_app(app_service)
        finally:
            self.sessions -= 1


async def stop_app(app_service: AppService, seconds: float = 10) -> None:
    """Ask the app to quit; kill it if it has not within ``seconds`` (its slot must come back)."""
    process = app_service._process
    if process is not None and process.returncode is not None:
        return  # it has ended by itself: there is nothing to ask
    try:
        await asyncio.wait_for(app_service.stop(), seconds)
    except TimeoutError:
        process = app_service._process
        if process is not None and process.returncode is None:
            log.warning("the app did not quit in %s s: killing it", seconds)
            process.kill()
            await process.wait()


def app_command(area: str | None) -> str:
    """The shell command textual-serve starts for each tab."""
    command = [sys.executable, "-m", "helpmate.cli.main", "chat"]
    if area:
        command += ["--area", area]
    return f"{IN_BROWSER_ENV}=1 " + shlex.join(command)
