"""A sentence model run by ONNX Runtime and ``tokenizers``: no torch in the process that answers.

The ONNX files are made once per machine by ``helpmate kb index`` (``prepare``: export.py in a
child process, the only step that needs torch; one export at a time, under a lock) into
``HELPMATE_MODELS_DIR/onnx/<model key>/`` (default ``~/.cache/helpmate/models``, shared by every
home) and checked by sha256 each time they are loaded; loading never exports. Importing and loading cost 0.85 s of CPU against 12.6 s
for torch and sentence-transformers (bench/embedders.py, measured on a busy 2-core machine).

Texts are embedded shortest first in batches, so a batch is padded to similar lengths: that alone
saves a third of the work on directory records, whose lengths vary from ten to 256 word pieces.
Pooling and normalisation follow the model folder's own configuration, as sentence-transformers
does, so fp32 vectors match the torch path's to 1e-6.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helpmate.errors import HelpmateError
from helpmate.index.export import FORMAT, FP32, INT8, sha256_of
from helpmate.index.models import SentenceModel, ensure_folder

VARIANTS = {"fp32": FP32, "int8": INT8}


class OnnxEmbedder:
    """A sentence-transformers model exported to ONNX, in fp32 or with int8 weights."""

    reads_meaning = True

    def __init__(
        self,
        model: SentenceModel,
        models_dir: Path,
        *,
        variant: str = "fp32",
        max_tokens: int | None = None,
        batch_size: int = 16,
    ) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {sorted(VARIANTS)}")
        self.model = model
        self.variant = variant
        self.max_tokens = min(max_tokens or model.max_tokens, model.max_tokens)
        cut = "" if self.max_tokens == model.max_tokens else f"-{self.max_tokens}"
        # The name goes into the index manifest and keys the shipped vectors: fp32 at full length
        # gives torch's vectors (to 1e-7) and shares the model's name; int8 or a cut is another name,
        # so its vectors are never mixed with these.
        self.name = model.label if (variant, cut) == ("fp32", "") else f"{model.label}/onnx-{variant}{cut}"
        self.dim = model.dim
        self.need_threshold = model.need_threshold
        self.batch_size = batch_size
        self.folder = models_dir / "onnx" / model.key
        self._session: Any = None
        self._tokenizer: Any = None
        self._pooling = model.pooling
        self._lock = threading.Lock()

    # -- making the files (index time only) -------------------------------------------------------

    def problem(self) -> str | None:
        """Why the exported files cannot be used as they are (None when they can); reads no weights."""
        info = self._info()
        if info is None:
            return f"the ONNX model for {self.model.label} is not in {self.folder} yet"
        if info.get("format") != FORMAT or info.get("key") != self.model.key:
            return f"{self.folder} holds an ONNX model of another version"
        for name in (VARIANTS[self.variant], "tokenizer.json"):
            if not (self.folder / name).is_file() or name not in info.get("files", {}):
                return f"{self.folder / name} is missing"
        return None

    def prepare(self, say: Callable[[str], None] | None = None) -> bool:
        """Export the model if its files are missing or fail their sha256; True when it exported.

        Called by ``helpmate kb index`` and by a command that has to build a missing index (once per
        machine; about 10 s of CPU for MiniLM, mostly importing torch)."""
        if self.problem() is None and self._checksum_problem() is None:
            return False
        from helpmate.knowledge.locks import exclusive

        # One export per machine: a second process (another home's build, a parallel test) waits
        # for the first, then finds the files made.
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HelpmateError(
                f"cannot write the models folder {self.folder.parent}: {exc.strerror or exc}",
                hint="set HELPMATE_MODELS_DIR to a writable folder",
            ) from exc
        with exclusive(
            self.folder.parent / f".{self.model.key}.lock",
            "ONNX export",
            wait_s=-1,
            notify=say,
            hint=f"check that {self.folder.parent} is writable (HELPMATE_MODELS_DIR)",
        ):
            problem = self.problem() or self._checksum_problem()
            if problem is None:
                return False
            self._export(problem, say)
        with self._lock:
            self._session = None
        return True

    def _export(self, problem: str, say: Callable[[str], None] | None) -> None:
        if say:
            say(f"preparing the ONNX model for {self.model.label} (once per machine; needs torch): {problem}")
        source = ensure_folder(self.model)
        meta = {
            "key": self.model.key,
            "label": self.model.label,
            "dim": self.model.dim,
            "pooling": self.model.pooling,
            "max_tokens": self.model.max_tokens,
        }
        run = subprocess.run(
            [sys.executable, "-m", "helpmate.index.export", str(source), str(self.folder), json.dumps(meta)],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
        if run.returncode != 0:
            last = (run.stderr.strip().splitlines() or ["no output"])[-1]
            raise HelpmateError(
                f"exporting {self.model.label} to ONNX failed: {last}",
                hint="the export needs torch and transformers (pip install -e .); HELPMATE_DEBUG=1 shows more",
            )

    # -- running it (index and query time) ---------------------------------------------------------

    def load(self) -> Any:
        """Open the ONNX session after checking the files' sha256; never exports."""
        with self._lock:
            if self._session is not None:
                return self._session
            problem = self.problem() or self._checksum_problem()
            if problem is not None:
                raise HelpmateError(problem, hint="run 'helpmate kb index', which prepares the model once")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            import onnxruntime as ort  # a fraction of a second; torch takes about 5 s
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=self.max_tokens)
            pad = _pad_token(self.folder)
            pad_id = tokenizer.token_to_id(pad) if pad else None
            tokenizer.enable_padding(pad_id=pad_id or 0, pad_token=pad or "[PAD]")
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = min(4, os.cpu_count() or 1)
            options.inter_op_num_threads = 1
            # Idle worker threads sleep instead of spinning between a worker's messages.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(
                str(self.folder / VARIANTS[self.variant]), options, providers=["CPUExecutionProvider"]
            )
            self._inputs = [i.name for i in session.get_inputs()]
            self._tokenizer, self._session = tokenizer, session
            return session

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        session = self.load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            encoded = self._tokenizer.encode_batch([texts[i] or " " for i in rows])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = session.run(None, {name: feeds[name] for name in self._inputs})[0]
            out[rows] = _normalise(_pool(hidden, mask, self._pooling))
            if progress:
                progress(len(rows))
        return out

    # -- helpers -----------------------------------------------------------------------------------

    def _info(self) -> dict[str, Any] | None:
        try:
            info = json.loads((self.folder / "model.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return info if isinstance(info, dict) else None

    def _checksum_problem(self) -> str | None:
        """A changed or truncated file is refused: hashing 90 MB (MiniLM fp32) takes about 0.1 s."""
        files = (self._info() or {}).get("files", {})
        for name in (VARIANTS[self.variant], "tokenizer.json"):
            if sha256_of(self.folder / name) != files.get(name):
                return f"{self.folder / name} does not match its sha256"
        return None


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    if mode == "cls":
        return hidden[:, 0]
    weights = mask[..., None].astype(hidden.dtype)
    if mode == "max":
        return np.where(weights > 0, hidden, -1e9).max(axis=1)
    return (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.clip(norms, 1e-12, None)).astype(np.float32)


def _pad_token(folder: Path) -> str | None:
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        try:
            pad = json.loads((folder / name).read_text(encoding="utf-8")).get("pad_token")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(pad, dict):
            pad = pad.get("content")
        if isinstance(pad, str):
            return pad
    return None
