"""Builds the engine's parts from settings, in one place, for the CLI, the chat and the tests."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from helpmate.assistant.engine import Engine, Situation
from helpmate.assistant.safeguarding import Safeguarding
from helpmate.assistant.suggest import Suggester
from helpmate.errors import HelpmateError
from helpmate.index.builder import library_fingerprint
from helpmate.index.embedders import Embedder, embedder_for, problem
from helpmate.index.search import Index
from helpmate.index.store import VectorStore
from helpmate.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    index: Index
    embedder: Embedder
    suggester: Suggester

    def engine(self, situation: Situation | None = None) -> Engine:
        """A conversation over this runtime, with the configured language model if there is one."""
        composer, redact = None, False
        if self.settings.llm.provider != "none":
            from helpmate.assistant.llm.composer import ModelComposer
            from helpmate.assistant.llm.providers import is_remote, make_chat_model

            model = make_chat_model(self.settings.llm)
            if model is not None:
                composer = ModelComposer(model, timeout_s=self.settings.llm.timeout_s)
                redact = self.settings.llm.redact and is_remote(self.settings.llm)
        return Engine(self.suggester, situation, composer=composer, redact=redact)

    def warm_up(self) -> None:
        """Loads the embedding model (it loads on first use: about 5 s with torch on two cores) and
        runs one suggestion through, so the first real message is answered as fast as the next."""
        self.suggester.suggest("warm up: lonely since moving here")

    @property
    def stale(self) -> bool:
        """True when the library files changed after the index was built."""
        try:
            return library_fingerprint(self.settings.knowledge) != self.index.manifest.get("fingerprint")
        except OSError:
            return False


def open_store(settings: Settings) -> VectorStore:
    return VectorStore.open(settings.chroma_dir, settings.chroma_url)


def load_runtime(settings: Settings, embedder: Embedder | None = None, *, warn_stale: bool = True) -> Runtime:
    embedder = embedder or embedder_for(settings)
    index = Index.load(settings.index_dir, open_store(settings))
    built_with = index.manifest.get("embedder")
    if built_with != embedder.name:
        # Vectors of two models (or of one model with int8 weights) are not comparable: never mix them.
        raise HelpmateError(
            f"the index was built with the embedder {built_with}, but this run uses {embedder.name}"
            f" (HELPMATE_EMBEDDER={settings.embedder}, HELPMATE_EMBEDDER_BACKEND={settings.embedder_backend})",
            hint="set them back as they were when the index was built, or run 'helpmate kb index' with these",
        )
    if missing := problem(embedder):
        raise HelpmateError(missing, hint="run 'helpmate kb index', which prepares the model once")
    runtime = Runtime(
        settings,
        index,
        embedder,
        Suggester(index, embedder, Safeguarding.load(settings.knowledge), settings.knowledge),
    )
    if warn_stale and runtime.stale:
        print(
            "helpmate: note: the library changed since the index was built; run 'helpmate kb index'",
            file=sys.stderr,
        )
    return runtime
