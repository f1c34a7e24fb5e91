"""The Chroma vector store: embedded (a persistent client in the state directory) or a server.

We always hand Chroma our own embeddings: its default embedding function downloads a model at
first use, which fails offline. Importing chromadb costs about 0.7 s, so it happens here, lazily.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from helpmate.errors import HelpmateError

PREFIX = "helpmate-g"


def area_key(slug: str) -> str:
    return f"area__{slug}"


ALL_AREAS = "area__all"


class VectorStore:
    def __init__(self, client: Any, where: str) -> None:
        self.client = client
        self.where = where

    @classmethod
    def open(cls, chroma_dir: Path, url: str | None) -> VectorStore:
        import chromadb  # ~0.7 s
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False)
        if url:
            parsed = urlparse(url)
            if not parsed.hostname:
                raise HelpmateError(
                    f"HELPMATE_CHROMA_URL '{url}' is not a URL", hint="e.g. http://127.0.0.1:8000"
                )
            try:
                client = chromadb.HttpClient(
                    host=parsed.hostname,
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=settings,
                )
                client.heartbeat()
            except Exception as exc:  # connection refused, DNS, TLS: all mean the same to the user
                raise HelpmateError(
                    f"cannot reach the Chroma server at {url} ({type(exc).__name__})",
                    hint="start it with 'chroma run --path DIR --port PORT' or unset HELPMATE_CHROMA_URL",
                ) from exc
            return cls(client, url)
        chroma_dir.mkdir(parents=True, exist_ok=True)
        return cls(chromadb.PersistentClient(path=str(chroma_dir), settings=settings), str(chroma_dir))

    def names(self) -> list[str]:
        return [c if isinstance(c, str) else c.name for c in self.client.list_collections()]

    def create(self, name: str) -> Any:
        if name in self.names():
            self.client.delete_collection(name)
        return self.client.create_collection(name, embedding_function=None, metadata={"hnsw:space": "cosine"})

    def get(self, name: str) -> Any:
        try:
            return self.client.get_collection(name, embedding_function=None)
        except Exception as exc:
            raise HelpmateError(
                f"the vector store has no collection '{name}' at {self.where}",
                hint="run 'helpmate kb index' to rebuild it",
            ) from exc

    def drop(self, name: str) -> None:
        with contextlib.suppress(Exception):  # already gone: nothing to do
            self.client.delete_collection(name)

    def add(
        self, collection: Any, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]]
    ) -> None:
        step = 2000
        for start in range(0, len(ids), step):
            collection.add(
                ids=list(ids[start : start + step]),
                embeddings=vectors[start : start + step],
                metadatas=list(metadatas[start : start + step]),
            )

    def vectors(self, collection: Any, ids: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        step = 2000
        for start in range(0, len(ids), step):
            got = collection.get(ids=list(ids[start : start + step]), include=["embeddings"])
            for rid, vec in zip(got["ids"], got["embeddings"], strict=True):
                out[rid] = np.asarray(vec, dtype=np.float32)
        return out
