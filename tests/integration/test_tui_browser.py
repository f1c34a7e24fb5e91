"""``helpmate serve`` in a browser: headless Chromium loads the page, the app starts, a screenshot.

Chromium's own ``--screenshot`` fires at the page's load event, before textual-serve's websocket
has brought the app's first frame, so the test drives Chromium over its DevTools protocol
(aiohttp, which textual-serve already needs) and waits for the page to say the app has drawn.

Chromium runs with every host but 127.0.0.1 unresolvable (no network), opens the tokened URL that
``helpmate serve`` printed, and records every request the page makes: all go to the served origin.
The keys that stand in for the browser's own (F3 for ctrl+t) reach the app.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port, stop_process

pytestmark = pytest.mark.integration

HELPMATE = str(Path(sys.executable).parent / "helpmate")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"


def printed_url(log: Path, proc: subprocess.Popen[bytes], seconds: float = 60) -> str:
    """The address ``helpmate serve`` printed (with its token)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        found = re.search(r"http://127\.0\.0\.1:\d+/\?token=[A-Za-z0-9_-]+", log.read_text(errors="replace"))
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"helpmate serve printed no URL: {log.read_text(errors='replace')}")


async def press(call: Any, key: str, code: str, keycode: int, modifiers: int = 0) -> None:
    for kind in ("rawKeyDown", "keyUp"):
        await call(
            "Input.dispatchKeyEvent",
            type=kind,
            key=key,
            code=code,
            windowsVirtualKeyCode=keycode,
            nativeVirtualKeyCode=keycode,
            modifiers=modifiers,
        )


def wait_http(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{url} never answered") from None
            time.sleep(0.2)


async def screenshot(debug_port: int, url: str, out: Path, config: Path) -> dict[str, Any]:
    """Open ``url`` in the running headless Chromium, wait until textual-serve shows the app, save a
    PNG; then open the settings with F3 and save them with ctrl+s (``config`` changes)."""
    import aiohttp

    with urllib.request.urlopen(f"http://127.0.0.1:{debug_port}/json/list", timeout=5) as response:
        pages = [p for p in json.load(response) if p.get("type") == "page"]
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(pages[0]["webSocketDebuggerUrl"], max_msg_size=0) as ws,
    ):
        ids = iter(range(1, 1_000_000))
        requested: list[str] = []
        console: list[str] = []

        async def call(method: str, **params: Any) -> dict[str, Any]:
            number = next(ids)
            await ws.send_json({"id": number, "method": method, "params": params})
            while True:
                message = await ws.receive_json(timeout=30)
                if message.get("method") == "Network.requestWillBeSent":
                    requested.append(message["params"]["request"]["url"])
                elif message.get("method") == "Log.entryAdded":
                    console.append(message["params"]["entry"]["text"])
                if message.get("id") == number:
                    return dict(message.get("result", {}))

        await call("Page.enable")
        await call("Network.enable")
        await call("Log.enable")
        await call("Page.navigate", url=url)
        state: dict[str, Any] = {}
        for _ in range(300):  # the app starts, loads the runtime and draws (bounded: about 60 s)
            result = await call(
                "Runtime.evaluate",
                expression="JSON.stringify({body: document.body ? document.body.className : '',"
                " canvases: document.querySelectorAll('#terminal canvas, #terminal .xterm-rows').length})",
                returnByValue=True,
            )
            state = json.loads(result["result"]["value"])
            if "-first-byte" in state["body"]:
                break
            await asyncio.sleep(0.2)

        async def settled() -> bytes:
            """The screenshot once two in a row are the same (the cursor does not blink here)."""
            previous = b""
            for _ in range(40):
                await asyncio.sleep(0.5)
                shot = base64.b64decode((await call("Page.captureScreenshot", format="png"))["data"])
                if shot == previous:
                    break
                previous = shot
            return previous

        state["first"] = len(await settled())
        # Type a situation into the app in the page, as a worker would (xterm reads its textarea).
        await call(
            "Runtime.evaluate",
            expression="document.querySelector('#terminal textarea, .xterm-helper-textarea').focus()",
        )
        await call("Input.insertText", text="He is lonely since his wife died and loves gardening")
        for kind in ("keyDown", "keyUp"):
            await call(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                **({"text": "\r"} if kind == "keyDown" else {}),
            )
        shot = await settled()
        out.write_bytes(shot)
        # F3 (ctrl+t in a terminal, a new tab in a browser) opens the settings; ctrl+s saves them.
        before = config.read_text()
        await press(call, "F3", "F3", 114)
        await asyncio.sleep(1)
        await press(call, "s", "KeyS", 83, modifiers=2)
        for _ in range(100):
            if config.read_text() != before:
                break
            await asyncio.sleep(0.2)
        state["config_saved"] = config.read_text() != before
        state["requested"] = requested
        state["console"] = console
        return state


def test_helpmate_serve_renders_in_headless_chromium(tmp_path: Path, hashing_home: dict[str, str]) -> None:
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    env = hashing_home
    (tmp_path / "home" / "config.toml").write_text("[tui]\ncursor_blink = false\n")
    port, debug_port = free_port(), free_port()
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed after the server stops
    server = subprocess.Popen([HELPMATE, "serve", "--port", str(port)], env=env, stdout=log, stderr=log)
    browser = None
    try:
        url = printed_url(tmp_path / "serve.log", server)
        wait_http(url, server)
        browser = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={tmp_path / 'chromium'}",
                f"--remote-debugging-port={debug_port}",
                "--remote-allow-origins=*",
                "--window-size=1280,800",
                # No network: every name but 127.0.0.1 fails to resolve (fonts, CDNs, anything).
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(f"http://127.0.0.1:{debug_port}/json/version", browser)
        out = tmp_path / "serve.png"
        config = tmp_path / "home" / "config.toml"
        state = asyncio.run(screenshot(debug_port, url, out, config))
    finally:
        if browser is not None:
            stop_process(browser)
        stop_process(server)
        log.close()
    assert "-first-byte" in state["body"], f"the app never drew: {state}"
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    # The intro card alone is about 11 kB, the empty app about 37 kB; with suggestions in both
    # columns the picture holds far more text.
    assert state["first"] > 20_000, f"the first screen ({state['first']} bytes) looks empty"
    assert len(data) > state["first"] * 1.3, f"no suggestions drawn ({len(data)} bytes)"
    served = (tmp_path / "serve.log").read_text(errors="replace")
    assert "127.0.0.1" in served
    # Everything the page loaded came from helpmate itself, and the page broke no policy of its own.
    origin = f"http://127.0.0.1:{port}/"
    assert state["requested"], "no requests recorded"
    off_site = [
        u for u in state["requested"] if not u.startswith((origin, f"ws://127.0.0.1:{port}/", "data:"))
    ]
    assert not off_site, off_site
    assert not [line for line in state["console"] if "Content Security Policy" in line], state["console"]
    assert state["config_saved"], "F3 then ctrl+s did not reach the app's settings screen"
    assert "provider" in (tmp_path / "home" / "config.toml").read_text()
