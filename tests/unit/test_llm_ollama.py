"""The Ollama provider end to end over HTTP: the real LangChain ``ChatOllama`` client against a
small stand-in server that speaks Ollama's ``/api/chat`` protocol (newline-delimited JSON
chunks), since no Ollama server runs here. Checks the request helpmate sends (model, reply
length cap, the data-marked prompt), streaming, grounding, and each fallback."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

pytest.importorskip("langchain_ollama")

from helpmate.assistant.llm import GroundRecord, ModelComposer, PlanData, make_chat_model  # noqa: E402
from helpmate.assistant.llm.providers import MAX_REPLY_TOKENS, is_remote  # noqa: E402
from helpmate.settings import LLMSettings  # noqa: E402

RECORD = GroundRecord(
    id="wr-com-mens-shed",
    name="Wrenford Men's Shed",
    description="A workshop for woodwork and company.",
    phone="01632 960201",
)


def plan() -> PlanData:
    return PlanData(
        situation="Retired joiner, lonely since his wife died.",
        needs=["Loneliness and isolation"],
        alerts=[],
        services=[],
        community=[RECORD],
        questions=["What does he enjoy?"],
        fallback_reply="helpmate's own reply",
    )


class Ollama(BaseHTTPRequestHandler):
    """Replies to POST /api/chat with the server's script: chunks of text, then a done line."""

    script: list[str] = []
    delay_s = 0.0
    status = 200
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self._reply()

    def _reply(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"path": self.path, **body})
        if self.status != 200:
            self.send_response(self.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"error": "model 'nope' not found"}).encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        for piece in self.script:
            time.sleep(self.delay_s)
            line = {"model": body["model"], "created_at": "2026-11-28T00:00:00Z", "done": False}
            line["message"] = {"role": "assistant", "content": piece}
            self.wfile.write((json.dumps(line) + "\n").encode())
            self.wfile.flush()
        done = {
            "model": body["model"],
            "created_at": "2026-11-28T00:00:01Z",
            "message": {"role": "assistant", "content": ""},
            "done": True,
            "done_reason": "stop",
            "prompt_eval_count": 10,
            "eval_count": len(self.script),
        }
        self.wfile.write((json.dumps(done) + "\n").encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[Ollama]]]:
    handler = type("Handler", (Ollama,), {"script": [], "delay_s": 0.0, "status": 200, "received": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    httpd.shutdown()
    httpd.server_close()


def composer(base_url: str, timeout_s: float = 5.0) -> ModelComposer:
    settings = LLMSettings(provider="ollama", model="llama3.2:3b", base_url=base_url, timeout_s=timeout_s)
    model = make_chat_model(settings)
    assert model is not None
    return ModelComposer(model, timeout_s=timeout_s)


def test_ollama_streams_a_grounded_reply_and_sends_what_we_expect(server) -> None:  # type: ignore[no-untyped-def]
    url, handler = server
    handler.script = ["Try ", "Wrenford Men's Shed ", "[wr-com-mens-shed].", "\nOr call 0900 123 456."]
    tokens: list[str] = []
    result = composer(url).compose(plan(), on_token=tokens.append)
    assert result.used_model and "".join(tokens).startswith("Try Wrenford Men's Shed")
    assert "[wr-com-mens-shed]" in result.text and "0900 123 456" not in result.text, "grounding removed it"
    sent = handler.received[0]
    assert sent["path"] == "/api/chat" and sent["model"] == "llama3.2:3b" and sent["stream"] is True
    assert sent["options"]["num_predict"] == MAX_REPLY_TOKENS
    prompt = "\n".join(m["content"] for m in sent["messages"])
    assert "wr-com-mens-shed" in prompt and "Retired joiner" in prompt
    assert not is_remote(LLMSettings(provider="ollama", model="m", base_url=url))


def test_an_ollama_error_falls_back_with_a_notice(server) -> None:  # type: ignore[no-untyped-def]
    url, handler = server
    handler.status = 404
    result = composer(url).compose(plan())
    assert not result.used_model and result.text == "helpmate's own reply" and result.notice


def test_a_slow_ollama_times_out_and_falls_back(server) -> None:  # type: ignore[no-untyped-def]
    url, handler = server
    handler.script, handler.delay_s = ["slow ", "words"], 1.0
    started = time.perf_counter()
    result = composer(url, timeout_s=0.3).compose(plan())
    assert not result.used_model and "slow" not in result.text and result.notice
    assert time.perf_counter() - started < 5


def test_ollama_not_running_falls_back() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = composer(f"http://127.0.0.1:{port}").compose(plan())
    assert not result.used_model and "could not be reached" in (result.notice or "")
