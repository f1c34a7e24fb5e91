"""Every test runs against temporary state and library directories, never a user's real data."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
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


def hashing_runtime(library: Path, home: Path):  # type: ignore[no-untyped-def]
    """The library indexed with the deterministic hashing embedder in ``home``, loaded as the app
    and the engine load it."""
    from helpmate.assistant.runtime import load_runtime, open_store
    from helpmate.index.builder import build_index
    from helpmate.knowledge.library import load_library
    from helpmate.settings import Settings

    settings = Settings(home=home, knowledge=library, embedder="hashing")
    embedder = HashingEmbedder()
    build_index(load_library(library), settings.index_dir, open_store(settings), embedder)
    return load_runtime(settings, embedder, warn_stale=False)


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
