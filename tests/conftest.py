"""Every test runs against temporary state and library directories, never a user's real data."""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from helpmate.index.embedders import HashingEmbedder

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "src" / "helpmate" / "data" / "library"
SHARED = (REPO.parent / "shared" / "data").resolve()
ORUK = SHARED / "oruk-bristol-northlincs"
HSDS = SHARED / "open211-miami-hsds"


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("HELPMATE_HOME", str(home))
    monkeypatch.setenv("HELPMATE_KNOWLEDGE", str(tmp_path / "library"))
    monkeypatch.setenv("HELPMATE_EMBEDDER", "hashing")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HELPMATE_CHROMA_URL", raising=False)
    monkeypatch.delenv("HELPMATE_AREA", raising=False)
    monkeypatch.delenv("HELPMATE_DEBUG", raising=False)
    return tmp_path


_BUILT: dict[str, Path] = {}
"""Index folders built with the hashing embedder in this test session, by library (``_library_key``)."""


def _library_key(library: Path) -> str:
    """Every file of the library, by name and bytes: equal keys, equal builds (a test that changed
    what its library says gets its own)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in library.rglob("*") if p.is_file()):
        digest.update(f"{path.relative_to(library)}\n".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def hashing_index(library: Path, home: Path) -> Path:
    """The library indexed with the deterministic hashing embedder in ``home`` (its index folder),
    as ``helpmate kb index`` with HELPMATE_EMBEDDER=hashing leaves it.

    The index of a library is built once per test session and copied into each ``home`` (a build
    of the sample library is about 3 s, a copy 0.02 s; some 70 unit tests ask for one). The copy is
    the same files a build would write; tests of building itself call ``build_index`` or run
    ``helpmate kb index``. A ``home`` that already has an index is built over, as a user's second
    ``kb index`` would be."""
    from helpmate.assistant.runtime import open_store
    from helpmate.index.builder import MANIFEST, build_index, library_fingerprint
    from helpmate.knowledge.library import load_library
    from helpmate.settings import Settings

    settings = Settings(home=home, knowledge=library, embedder="hashing")
    if settings.index_dir.exists():
        build_index(load_library(library), settings.index_dir, open_store(settings), HashingEmbedder())
        return settings.index_dir
    key = _library_key(library)
    if key not in _BUILT:
        built = Settings(home=_built_homes() / key[:16], knowledge=library, embedder="hashing")
        build_index(load_library(library), built.index_dir, open_store(built), HashingEmbedder())
        _BUILT[key] = built.index_dir
    shutil.copytree(_BUILT[key], settings.index_dir)
    # What a build of this library would have written: its own folder, and the fingerprint of its
    # files' names, sizes and times (how an index notices it is out of date).
    manifest_path = settings.index_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest.update(library=str(library), fingerprint=library_fingerprint(library))
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    return settings.index_dir


def hashing_runtime(library: Path, home: Path):  # type: ignore[no-untyped-def]
    """The library indexed with the hashing embedder in ``home`` (``hashing_index``), loaded as the
    app and the engine load it."""
    from helpmate.assistant.runtime import load_runtime
    from helpmate.settings import Settings

    hashing_index(library, home)
    settings = Settings(home=home, knowledge=library, embedder="hashing")
    return load_runtime(settings, HashingEmbedder(), warn_stale=False)


def _built_homes() -> Path:
    folder = Path(tempfile.gettempdir()) / f"helpmate-test-indexes-{os.getpid()}"
    if not folder.exists():
        folder.mkdir()
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@pytest.fixture
def runtime(library: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The sample library, copied, indexed with the hashing embedder and loaded."""
    return hashing_runtime(library, tmp_path / "home")


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A copy of the sample library, free to change."""
    target = tmp_path / "library"
    shutil.copytree(SAMPLE, target)
    return target


@pytest.fixture
def empty_library(tmp_path: Path) -> Path:
    from helpmate.knowledge.importers.pipeline import init_library

    target = tmp_path / "library"
    init_library(target)
    return target


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting how many texts it embedded."""

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: Sequence[str], progress=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        self.calls += len(texts)
        return super().embed(texts, progress)


@pytest.fixture
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


def write_json(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server started by a test: politely, then firmly."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


def oruk_service(id_: str, name: str, description: str = "<p>A weekly group.</p>", **extra: object) -> dict:
    item: dict = {
        "id": id_,
        "name": name,
        "description": description,
        "url": "",
        "email": "",
        "status": "active",
        "fees": "",
        "assured_date": "2024-11-27",
        "organization": {"id": "org-" + id_, "name": "Test Org", "description": "", "url": ""},
        "pc_metadata": {
            "date_created": "2024-01-01",
            "date_modified": "2024-11-27",
            "date_assured": "2024-11-27",
        },
        "pc_targetAudience": [],
    }
    item.update(extra)
    return item
