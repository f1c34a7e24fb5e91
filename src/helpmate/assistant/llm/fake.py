"""A scripted LangChain chat model, so the model layer is tested without a model or a network.

Why not LangChain's own fakes: ``GenericFakeChatModel`` cannot be told to raise, to stall
before answering, or to show what it was sent, and those are exactly the cases the composer
must survive (a refused connection, a model slower than the timeout, a prompt injection that
must stay inside the DATA block). ``ScriptedChatModel`` replays its script in order, streams
each reply token by token through the real ``BaseChatModel.stream`` machinery, and records
every message list it received.

This module imports LangChain at import time: import it from tests, not from the app.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr


@dataclass
class Scripted:
    """One scripted turn: wait ``delay_s``, stream ``text`` (``token_delay_s`` apart), then raise ``error``.

    With an ``error`` and no ``text`` the model fails before its first token, as a refused
    connection does; with both it fails part way through the reply.
    """

    text: str = ""
    delay_s: float = 0.0
    token_delay_s: float = 0.0
    error: BaseException | None = None


def tokens(text: str) -> list[str]:
    """Split like a tokenizer would for display: words with their trailing whitespace."""
    return re.findall(r"\S+\s*|\s+", text)


class ScriptedChatModel(BaseChatModel):
    """Replays ``script`` in order (a string, an exception, or a ``Scripted``); the last one repeats."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    script: list[Any] = Field(default_factory=list)
    received: list[list[BaseMessage]] = Field(default_factory=list)
    """Every message list the model was called with, in order."""
    _turn: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "helpmate-scripted"

    def _next(self, messages: list[BaseMessage]) -> Scripted:
        with self._lock:
            self.received.append(list(messages))
            if not self.script:
                return Scripted()
            item = self.script[min(self._turn, len(self.script) - 1)]
            self._turn += 1
        if isinstance(item, Scripted):
            return item
        if isinstance(item, BaseException):
            return Scripted(error=item)
        return Scripted(text=str(item))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        step = self._next(messages)
        if step.delay_s:
            time.sleep(step.delay_s)
        # Like a real server, an empty reply is still one (empty) chunk.
        for index, token in enumerate(tokens(step.text) or [""]):
            if index and step.token_delay_s:
                time.sleep(step.token_delay_s)
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=token))
            if run_manager:
                run_manager.on_llm_new_token(token, chunk=chunk)
            yield chunk
        if step.error is not None:
            raise step.error

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(
            str(chunk.message.content) for chunk in self._stream(messages, stop, run_manager, **kwargs)
        )
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])
