"""Integration fixtures: the real MiniLM model, real Chroma (embedded and server), the shared feeds.

The ORUK index is built once per session (about 40 s of embedding on two cores).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpmate.assistant.runtime import Runtime, load_runtime, open_store
from helpmate.index.builder import build_index
from helpmate.index.embedders import MiniLMEmbedder
from helpmate.knowledge.importers import import_feed
from helpmate.knowledge.library import load_library
from helpmate.settings import Settings
from tests.conftest import ORUK, REPO, SAMPLE, env_with, free_port, hashing_index, stop_process

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def oruk_settings(tmp_path_factory: pytest.TempPathFactory, minilm: MiniLMEmbedder) -> Settings:
    root = tmp_path_factory.mktemp("oruk")
    settings = Settings(home=root / "home", knowledge=root / "library", embedder="minilm")
    import_feed(settings.knowledge, ORUK / "bristol_services.json", "oruk", "bristol")
    import_feed(settings.knowledge, ORUK / "north_lincolnshire_services.json", "oruk", "north-lincolnshire")
    # The localities of the two areas, as a knowledge manager there would add them (README).
    shutil.copy(
        REPO / "examples" / "areas-bristol-north-lincolnshire.yaml", settings.knowledge / "areas.yaml"
    )
    build_index(load_library(settings.knowledge), settings.index_dir, open_store(settings), minilm)
    return settings


@pytest.fixture(scope="session")
def oruk(oruk_settings: Settings, minilm: MiniLMEmbedder) -> Runtime:
    return load_runtime(oruk_settings, minilm)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (`chroma run`) on loopback, stopped at the end of the session."""
    chroma = shutil.which("chroma") or str(Path(__import__("sys").executable).parent / "chroma")
    port = free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    log = open(data / "server.log", "w")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    import urllib.request

    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(
                    f"chroma server did not start: {(data / 'server.log').read_text()[-2000:]}"
                ) from None
            time.sleep(0.3)
    yield url
    stop_process(proc)
    log.close()


@pytest.fixture(scope="session")
def sample_library() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A home with the sample library indexed by a real ``helpmate kb index`` on the default path
    (ONNX Runtime fp32, exported once per machine into the user's cache: tests/integration/
    test_onnx_embedder.py), once per session; the environment to run ``helpmate`` over it."""
    env = env_with(
        HELPMATE_HOME=str(tmp_path_factory.mktemp("sample") / "home"),
        HELPMATE_KNOWLEDGE=str(SAMPLE),
        HELPMATE_EMBEDDER="minilm",
        HELPMATE_EMBEDDER_BACKEND="onnx",
        HF_HUB_OFFLINE="1",
    )
    for name in ("HELPMATE_MODELS_DIR", "HELPMATE_CONFIG"):
        env.pop(name, None)
    helpmate = str(Path(sys.executable).parent / "helpmate")
    built = subprocess.run([helpmate, "kb", "index"], env=env, capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stderr
    return env


@pytest.fixture(scope="session")
def sample(sample_env: dict[str, str], minilm: MiniLMEmbedder) -> Runtime:
    """The sample library's index (built through ONNX) queried through torch: the same vectors, so
    the gate's figures hold for both paths."""
    settings = Settings(home=Path(sample_env["HELPMATE_HOME"]), knowledge=SAMPLE)
    return load_runtime(settings, minilm)


@pytest.fixture
def hashing_home(tmp_path: Path) -> dict[str, str]:
    """The environment of a real ``helpmate`` over the sample library, indexed with the hashing
    embedder in a temporary HELPMATE_HOME (for the terminal app's smoke tests: no model needed)."""
    env = env_with(
        HELPMATE_HOME=str(tmp_path / "home"),
        HELPMATE_KNOWLEDGE=str(SAMPLE),
        HELPMATE_EMBEDDER="hashing",
        HF_HUB_OFFLINE="1",
        TERM="xterm-256color",
    )
    env.pop("HELPMATE_CONFIG", None)
    # What `helpmate kb index` leaves there, copied from the session's one build (tests/conftest.py).
    hashing_index(SAMPLE, tmp_path / "home")
    return env
