"""The real ``helpmate serve`` against a raw HTTP and WebSocket client (aiohttp), as a hostile page
or a rebound DNS name would reach it: foreign Origin or Host and a missing token get 403, the
printed URL opens the real app (whose footer shows the browser's keys), and the tab past
``HELPMATE_SERVE__MAX_SESSIONS`` gets a page saying so until a tab is closed."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import free_port, stop_process

pytestmark = pytest.mark.integration

HELPMATE = str(Path(sys.executable).parent / "helpmate")
EVIL = "http://evil.example"


def printed_url(log: Path, proc: subprocess.Popen[bytes], seconds: float = 60) -> str:
    """The URL ``helpmate serve`` printed, once it answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = re.search(r"http://127\.0\.0\.1:\d+/\?token=[A-Za-z0-9_-]+", log.read_text(errors="replace"))
        if found:
            return found[0]
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"helpmate serve printed no URL: {log.read_text(errors='replace')}")


async def wait_until_up(session: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        try:
            async with session.get(url) as response:
                if response.status in (200, 403):
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"{url} never answered")


async def screen_until(ws: aiohttp.ClientWebSocketResponse, *needles: bytes, seconds: float = 60) -> bytes:
    """What the app sent, until every needle has appeared (the app draws in pieces). The page
    tells the app when its terminal has focus, and the footer is drawn only then: so does this."""
    seen = b""
    deadline = time.monotonic() + seconds
    focused = 0.0
    while not all(n in seen for n in needles):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"never saw {needles}: {seen[-2000:]!r}")
        if seen and time.monotonic() - focused > 1:
            await ws.send_json(["focus"])
            focused = time.monotonic()
        try:
            message = await ws.receive(timeout=min(remaining, 1))
        except TimeoutError:
            continue
        if message.type == aiohttp.WSMsgType.BINARY:
            seen += message.data
        elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
            raise AssertionError(f"the socket closed: {seen[-2000:]!r}")
    return seen


async def probe(url: str) -> None:
    origin = url.split("/?", 1)[0]
    port = origin.rsplit(":", 1)[1]
    token = url.split("token=", 1)[1]
    ws_url = f"ws://127.0.0.1:{port}/ws/{token}"
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await wait_until_up(session, origin + "/")
        # another site's page, or a name rebound to 127.0.0.1, even holding the token
        for headers in ({"Origin": EVIL}, {"Host": "evil.example"}, {"Host": f"evil.example:{port}"}):
            async with session.get(url, headers=headers) as response:
                assert response.status == 403, headers
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await session.ws_connect(ws_url + "?width=120&height=40", headers=headers)
            assert refused.value.status == 403, headers
        # no token
        async with session.get(origin + "/") as response:
            assert response.status == 403
            assert "printed" in await response.text()
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(f"ws://127.0.0.1:{port}/ws/not-the-token")
        assert refused.value.status == 403
        # the printed URL: the page, then the app's websocket, as the page opens it
        async with session.get(url) as response:
            assert response.status == 200
            assert ws_url in await response.text()
        async with session.get(origin + "/static/js/textual.js") as response:
            assert response.status == 200  # on the cookie alone
        first = await session.ws_connect(ws_url + "?width=160&height=40", origin=origin)
        screen = await screen_until(first, b"Settings", b"f2", b"f3")
        assert b"^n" not in screen and b"^t" not in screen  # keys the browser would keep
        second = await session.ws_connect(ws_url + "?width=160&height=40", origin=origin)
        await screen_until(second, b"Settings")
        # the third tab (HELPMATE_SERVE__MAX_SESSIONS=2)
        async with session.get(url) as response:
            assert response.status == 503
            assert "helpmate is already open in 2 tabs; close one and reload." in await response.text()
        await first.close()
        for _ in range(100):  # the closed tab's app quits and frees its slot
            async with session.get(url) as response:
                if response.status == 200:
                    break
            await asyncio.sleep(0.2)
        else:
            raise AssertionError("closing a tab never freed its slot")
        await second.close()


def test_helpmate_serve_refuses_foreign_pages_and_untokened_requests_and_caps_tabs(
    tmp_path: Path, hashing_home: dict[str, str]
) -> None:
    env = {**hashing_home, "HELPMATE_SERVE__MAX_SESSIONS": "2"}
    log_path = tmp_path / "serve.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed after the server stops
    server = subprocess.Popen(
        [HELPMATE, "serve", "--port", str(free_port())], env=env, stdout=log, stderr=log
    )
    try:
        asyncio.run(probe(printed_url(log_path, server)))
    finally:
        stop_process(server)
        log.close()
    assert "Traceback" not in log_path.read_text(errors="replace")
