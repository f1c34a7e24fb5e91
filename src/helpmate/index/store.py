"""The Chroma vector store: embedded (a persistent client in the state directory) or a server.

Only index builds write it and only ``helpmate kb search`` queries it: suggestions read the vectors
that each generation keeps beside its snapshot (``index/vectors.py``), so the store is opened on
first use, not when the index loads. Opening the embedded store changes ``chroma.sqlite3`` and
fails on a read-only or full disk; importing chromadb costs about 0.7 s.

We always hand Chroma our own embeddings: its default embedding function downloads a model at
first use, which fails offline. Every Chroma failure becomes one ``HelpmateError`` line saying what
to do, never a chromadb traceback.
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
    def __init__(self, chroma_dir: Path, url: str | None) -> None:
        self.chroma_dir = chroma_dir
        self.url = url
        self.where = url or str(chroma_dir)
        self._client: Any = None

    @classmethod
    def open(cls, chroma_dir: Path, url: str | None) -> VectorStore:
        """The store at ``url`` (a server) or in ``chroma_dir``; nothing is opened until it is used."""
        if url and not urlparse(url).hostname:
            raise HelpmateError(
                f"HELPMATE_CHROMA_URL '{url}' is not a URL", hint="e.g. http://127.0.0.1:8000"
            )
        return cls(chroma_dir, url)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> Any:
        import chromadb  # ~0.7 s
        from chromadb.config import Settings as ChromaSettings

        settings = ChromaSettings(anonymized_telemetry=False)
        if self.url:
            parsed = urlparse(self.url)
            try:
                client = chromadb.HttpClient(
                    host=parsed.hostname or "",
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=settings,
                )
                client.heartbeat()
            except Exception as exc:  # connection refused, DNS, TLS: all mean the same to the user
                raise HelpmateError(
                    f"cannot reach the Chroma server at {self.url} ({type(exc).__name__})",
                    hint="start it with 'chroma run --path DIR --port PORT' or unset HELPMATE_CHROMA_URL",
                ) from exc
            return client
        try:
            self.chroma_dir.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(self.chroma_dir), settings=settings)
        except Exception as exc:  # read-only or full disk: sqlite and chromadb errors of every kind
            raise self._failed("open", exc) from exc

    def _failed(self, doing: str, exc: BaseException) -> HelpmateError:
        detail = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        return HelpmateError(
            f"cannot {doing} the vector store at {self.where}: {detail}",
            hint="check there is free space and HELPMATE_HOME is writable, then run 'helpmate kb index'"
            if not self.url
            else "check the Chroma server, then run 'helpmate kb index'",
        )

    def names(self) -> list[str]:
        try:
            return [c if isinstance(c, str) else c.name for c in self.client.list_collections()]
        except HelpmateError:
            raise
        except Exception as exc:
            raise self._failed("read", exc) from exc

    def create(self, name: str) -> Any:
        try:
            if name in self.names():
                self.client.delete_collection(name)
            return self.client.create_collection(
                name, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        except HelpmateError:
            raise
        except Exception as exc:
            raise self._failed("write", exc) from exc

    def get(self, name: str) -> Any:
        try:
            return self.client.get_collection(name, embedding_function=None)
        except HelpmateError:
            raise
        except Exception as exc:
            raise HelpmateError(
                f"the vector store has no collection '{name}' at {self.where}",
                hint="run 'helpmate kb index' to rebuild it",
            ) from exc

    def drop(self, name: str) -> None:
        with contextlib.suppress(Exception):  # already gone, or cannot be written: nothing to do
            self.client.delete_collection(name)

    def add(
        self, collection: Any, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict[str, Any]]
    ) -> None:
        step = 2000
        try:
            for start in range(0, len(ids), step):
                collection.add(
                    ids=list(ids[start : start + step]),
                    embeddings=vectors[start : start + step],
                    metadatas=list(metadatas[start : start + step]),
                )
        except Exception as exc:
            raise self._failed("write", exc) from exc

    def vectors(self, collection: Any, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Vectors kept in the store (read only by a build that upgrades an index made before the
        generations kept their own)."""
        out: dict[str, np.ndarray] = {}
        step = 2000
        try:
            for start in range(0, len(ids), step):
                got = collection.get(ids=list(ids[start : start + step]), include=["embeddings"])
                for rid, vec in zip(got["ids"], got["embeddings"], strict=True):
                    out[rid] = np.asarray(vec, dtype=np.float32)
        except Exception as exc:
            raise self._failed("read", exc) from exc
        return out
