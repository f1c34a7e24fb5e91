"""Record vectors on disk, as data that cannot run code when read.

- Beside each generation, ``vectors.npy``: one row per record of the snapshot, in its order. This
  is what searching reads (``Index.load``), so a search opens no vector store at all: it writes
  nothing, works on a read-only or full disk, and does not import chromadb (0.7 s).
- While a build embeds, an ``EmbeddingCache`` under ``index/embedding-cache/<embedder>/``: the
  vectors done so far, keyed by the hash of the text embedded and written in chunks as they are
  done, so a build that is interrupted (Ctrl-C, a crash, a full disk) keeps what it embedded and
  the next build goes on from there. A finished build clears it (the generation holds the vectors).

Every file is a numpy ``.npy`` written and read with ``allow_pickle=False``, or JSON; anything
damaged or of the wrong shape is skipped (the cache) or reported (a generation), never trusted.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np

VECTORS = "vectors.npy"
CACHE = "embedding-cache"
CHUNK = 64
"""Texts embedded between two writes of the cache: about 1.5 s of MiniLM on two cores, the most
an interruption can lose."""


def save_vectors(folder: Path, matrix: np.ndarray) -> None:
    np.save(folder / VECTORS, np.ascontiguousarray(matrix, dtype=np.float32), allow_pickle=False)


def load_vectors(folder: Path, rows: int) -> np.ndarray:
    """The generation's vectors; ``ValueError`` unless they are ``rows`` finite float32 rows."""
    matrix = np.load(folder / VECTORS, allow_pickle=False)
    if matrix.ndim != 2 or matrix.shape[0] != rows or matrix.dtype != np.float32:
        raise ValueError(f"the vectors hold {matrix.shape} {matrix.dtype}, not {rows} rows of float32")
    if not np.isfinite(matrix).all():
        raise ValueError("the vectors hold values that are not numbers")
    return matrix


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name) or "embedder"


class EmbeddingCache:
    """Vectors one embedder made, by text hash, in chunks: ``NNNNNN.npy`` (the rows) and
    ``NNNNNN.json`` (their hashes, written last: a chunk without it was cut short and is ignored)."""

    def __init__(self, index_dir: Path, embedder_name: str, dim: int) -> None:
        self.dir = index_dir / CACHE / _slug(embedder_name)
        self.dim = dim

    def _chunks(self) -> list[Path]:
        if not self.dir.is_dir():
            return []
        return sorted(p for p in self.dir.glob("*.json") if p.stem.isdigit())

    def load(self, wanted: Iterable[str] | None = None) -> dict[str, np.ndarray]:
        """What was embedded, for the hashes ``wanted`` (all when None)."""
        wanted_set = set(wanted) if wanted is not None else None
        out: dict[str, np.ndarray] = {}
        for meta in self._chunks():
            try:
                hashes = json.loads(meta.read_text(encoding="utf-8"))
                rows = np.load(meta.with_suffix(".npy"), allow_pickle=False)
                if (
                    not isinstance(hashes, list)
                    or not all(isinstance(h, str) for h in hashes)
                    or rows.shape != (len(hashes), self.dim)
                    or rows.dtype != np.float32
                    or not np.isfinite(rows).all()
                ):
                    continue  # not what a build writes: skipped, embedded again
            except (OSError, ValueError):
                continue
            for h, row in zip(hashes, rows, strict=True):
                if wanted_set is None or h in wanted_set:
                    out[h] = row
        return out

    def add(self, hashes: list[str], rows: np.ndarray) -> None:
        """Keep a chunk (the rows first, then the list that makes them count)."""
        if not hashes:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        chunks = self._chunks()
        number = int(chunks[-1].stem) + 1 if chunks else 0
        base = self.dir / f"{number:06d}"
        tmp = self.dir / f"{number:06d}.{os.getpid()}.tmp"
        try:
            with open(tmp, "wb") as out:
                np.save(out, np.ascontiguousarray(rows, dtype=np.float32), allow_pickle=False)
            os.replace(tmp, base.with_suffix(".npy"))
            tmp.write_text(json.dumps(hashes), encoding="utf-8")
            os.replace(tmp, base.with_suffix(".json"))
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    def clear(self) -> None:
        shutil.rmtree(self.dir.parent, ignore_errors=True)
