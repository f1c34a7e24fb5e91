"""``helpmate serve``'s guard, in process: Host and Origin checks, the launch token, the tab limit, a
page with nothing from another host, and the browser's keys in the footer.

The server runs on a free loopback port with a stand-in app (a few lines of Python speaking
textual-serve's packet protocol), so each test takes well under a second; the real app behind the
real command is tested in tests/integration/test_serve_security.py.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from helpmate.settings import Settings
from helpmate.tui.serve import HelpmateServer, app_command, full_message
from tests.conftest import free_port

# Enough of a Textual app for textual-serve: the prelude line, one screenful, then it reads packets
# until the server asks it to quit (or its stdin closes).
FAKE_APP = r"""
import json, sys
out, inp = sys.stdout.buffer, sys.stdin.buffer
out.write(b"__GANGLION__\n")
payload = b"the stand-in app has drawn its first screen"
out.write(b"D" + len(payload).to_bytes(4, "big") + payload)
out.flush()
while True:
    kind = inp.read(1)
    if not kind:
        break
    data = inp.read(int.from_bytes(inp.read(4), "big"))
    if kind == b"M" and json.loads(data).get("type") == "quit":
        break
"""
FAKE_COMMAND = shlex.join([sys.executable, "-c", FAKE_APP])
EVIL = "http://evil.example"


@asynccontextmanager
async def served(
    max_sessions: int = 4, command: str = FAKE_COMMAND
) -> AsyncIterator[tuple[HelpmateServer, aiohttp.ClientSession]]:
    port = free_port()
    server = HelpmateServer(command, port=port, max_sessions=max_sessions)
    test_server = TestServer(await server._make_app(), host="127.0.0.1", port=port)
    await test_server.start_server()
    try:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            yield server, session
    finally:
        await test_server.close()


async def first_bytes(ws: aiohttp.ClientWebSocketResponse) -> bytes:
    message = await ws.receive(timeout=20)
    assert message.type == aiohttp.WSMsgType.BINARY, message
    return bytes(message.data)


async def wait_for_sessions(server: HelpmateServer, count: int) -> None:
    # Longer than stop_app's 10 s: on a busy machine a slot can come back only after the kill.
    for _ in range(600):
        if server.sessions == count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{server.sessions} sessions, expected {count}")


@pytest.mark.asyncio
async def test_a_foreign_origin_or_host_is_refused_even_with_the_token() -> None:
    async with served() as (server, session):
        origin, ws_url = server.origin, f"ws://127.0.0.1:{server.port}/ws/{server.token}"
        for path in (f"/?token={server.token}", "/static/js/textual.js", f"/download/x?token={server.token}"):
            for headers in ({"Origin": EVIL}, {"Origin": "null"}, {"Host": "evil.example"}):
                async with session.get(origin + path, headers=headers) as response:
                    assert response.status == 403, (path, headers)
                    assert "printed" in await response.text()
        # localhost is not printed, so it is not accepted either (a rebound name would look like it)
        async with session.get(
            f"{origin}/?token={server.token}", headers={"Host": f"localhost:{server.port}"}
        ) as r:
            assert r.status == 403
        for headers in ({"Origin": EVIL}, {"Host": f"evil.example:{server.port}"}):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(ws_url, headers=headers)
            assert refused.value.status == 403
        assert server.sessions == 0


@pytest.mark.asyncio
async def test_without_the_token_every_request_gets_a_one_line_403_page() -> None:
    async with served() as (server, session):
        wrong = server.token[:-1] + ("A" if server.token[-1] != "A" else "B")
        for path in ("/", f"/?token={wrong}", "/?token=", "/static/js/textual.js", "/static/fonts/"):
            async with session.get(server.origin + path) as response:
                assert response.status == 403, path
                text = await response.text()
                assert "address 'helpmate serve' printed" in text
                assert len(re.sub(r"<[^>]+>", "", text).strip().splitlines()) == 1
        for token in (wrong, "", "é"):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(f"ws://127.0.0.1:{server.port}/ws/{token}")
            assert refused.value.status in (403, 404)
        # the cookie only counts when it holds the token
        session.cookie_jar.update_cookies({server.cookie: wrong})
        async with session.get(server.origin + "/static/js/textual.js") as response:
            assert response.status == 403


@pytest.mark.asyncio
async def test_the_printed_url_loads_the_page_keeps_the_token_in_a_strict_cookie_and_opens_the_app() -> None:
    async with served() as (server, session):
        assert re.fullmatch(rf"http://127\.0\.0\.1:{server.port}/\?token=[A-Za-z0-9_-]{{43}}", server.url)
        async with session.get(server.url, headers={"Origin": server.origin}) as response:
            assert response.status == 200
            page = await response.text()
            cookie = response.headers["Set-Cookie"]
        assert f"{server.cookie}={server.token}" in cookie
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        # the page's own requests pass on the cookie alone
        for asset in ("js/textual.js", "css/xterm.css", "fonts/RobotoMono-VariableFont_wght.ttf"):
            async with session.get(f"{server.origin}/static/{asset}") as response:
                assert response.status == 200, asset
        ws_url = re.search(r'data-session-websocket-url="([^"]+)"', page)
        assert ws_url is not None and ws_url[1] == f"ws://127.0.0.1:{server.port}/ws/{server.token}"
        async with session.ws_connect(ws_url[1] + "?width=100&height=30", origin=server.origin) as ws:
            assert b"first screen" in await first_bytes(ws)
            assert server.sessions == 1
        await wait_for_sessions(server, 0)


@pytest.mark.asyncio
async def test_the_page_loads_nothing_from_another_host() -> None:
    async with served() as (server, session):
        async with session.get(server.url) as response:
            page = await response.text()
            policy = response.headers["Content-Security-Policy"]
        urls = re.findall(r"""(?:https?|wss?)://[^\s"'<>)]+""", page)
        assert urls, "the websocket URL at least"
        served_origins = (server.origin + "/", f"ws://127.0.0.1:{server.port}/")
        assert all(url.startswith(served_origins) for url in urls), urls
        assert "googleapis" not in page and "//" not in re.sub(
            r"(?:https?|wss?)://127\.0\.0\.1:\d+/", "", page
        )
        # every stylesheet and script the page names is served here, and names no other host
        for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
            async with session.get(server.origin + asset) as response:
                assert response.status == 200, asset
                if asset.endswith(".css"):
                    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", await response.text())
        assert "default-src 'none'" in policy and "http" not in policy.replace(
            f"ws://127.0.0.1:{server.port}", ""
        )


@pytest.mark.asyncio
async def test_a_tab_over_the_limit_gets_a_clear_page_and_a_closed_tab_frees_its_slot() -> None:
    async with served(max_sessions=2) as (server, session):
        ws_url = f"ws://127.0.0.1:{server.port}/ws/{server.token}"
        tabs = [await session.ws_connect(ws_url, origin=server.origin) for _ in range(2)]
        for tab in tabs:
            await first_bytes(tab)
        assert server.sessions == 2
        async with session.get(server.url) as response:
            assert response.status == 503
            assert "helpmate is already open in 2 tabs; close one and reload." in await response.text()
        # a tab that got past the page (opened at the same moment) is told in its terminal, and
        # starts no app
        async with session.ws_connect(ws_url, origin=server.origin) as extra:
            assert b"already open in 2 tabs; close one and reload" in await first_bytes(extra)
            assert server.sessions == 2
        await tabs[0].close()
        await wait_for_sessions(server, 1)
        async with session.get(server.url) as response:
            assert response.status == 200
        await tabs[1].close()
        await wait_for_sessions(server, 0)
    assert full_message(4) == "helpmate is already open in 4 tabs; close one and reload."


@pytest.mark.asyncio
async def test_an_app_that_ends_by_itself_closes_its_tab_and_frees_the_slot() -> None:
    crashing = shlex.join([sys.executable, "-c", "print('__GANGLION__'); raise SystemExit(1)"])
    async with served(max_sessions=1, command=crashing) as (server, session):
        async with session.ws_connect(f"ws://127.0.0.1:{server.port}/ws/{server.token}") as ws:
            message = await ws.receive(timeout=20)
            assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        await wait_for_sessions(server, 0)
        async with session.get(server.url) as response:
            assert response.status == 200


def test_max_sessions_defaults_to_4_and_comes_from_the_environment_or_config(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Settings().serve.max_sessions == 4
    home = isolated / "home"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text("[serve]\nmax_sessions = 3\n", encoding="utf-8")
    assert Settings().serve.max_sessions == 3
    monkeypatch.setenv("HELPMATE_SERVE__MAX_SESSIONS", "2")
    assert Settings().serve.max_sessions == 2


def test_helpmate_serve_prints_the_tokened_url_and_uses_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[HelpmateServer] = []
    monkeypatch.setattr(HelpmateServer, "serve", lambda self, debug=False: started.append(self))
    monkeypatch.setenv("HELPMATE_SERVE__MAX_SESSIONS", "3")
    from typer.testing import CliRunner

    from helpmate.cli.main import app

    port = free_port()
    result = CliRunner().invoke(app, ["serve", "--port", str(port), "--area", "bristol"])
    assert result.exit_code == 0, result.output
    (server,) = started
    assert server.max_sessions == 3
    assert server.url in result.output
    assert re.search(rf"http://127\.0\.0\.1:{port}/\?token=[A-Za-z0-9_-]{{43}}\n", result.output)
    assert server.command.startswith("HELPMATE_IN_BROWSER=1 ") and server.command.endswith("--area bristol")
    assert app_command(None).endswith("helpmate.cli.main chat")


FOOTER = r"""
import asyncio, json
from textual.widgets._footer import FooterKey
from helpmate.errors import HelpmateError
from helpmate.settings import Settings
from helpmate.tui.app import make_app

def loader(settings):
    raise HelpmateError("no index in this test")

async def main():
    app = make_app(Settings(), loader=loader)
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        print(json.dumps([key.key_display for key in app.screen.query(FooterKey)]))

asyncio.run(main())
"""


@pytest.mark.parametrize(
    ("in_browser", "shown", "hidden"), [("1", {"f2", "f3"}, {"^n", "^t"}), ("", {"^n", "^t"}, {"f2", "f3"})]
)
def test_the_footer_shows_keys_a_browser_passes_on_only_in_the_browser(
    in_browser: str, shown: set[str], hidden: set[str]
) -> None:
    import os

    env = {**os.environ, "HELPMATE_IN_BROWSER": in_browser}
    out = subprocess.run([sys.executable, "-c", FOOTER], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    keys = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert shown <= keys and not hidden & keys, keys
