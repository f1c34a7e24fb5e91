"""A real ``helpmate kb index`` with the real model, interrupted by SIGINT while it embeds: it says
what it kept, exits 130 with no traceback, and the next run embeds only the rest."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, env_with

pytestmark = pytest.mark.integration

HELD_AFTER_THE_FIRST_CHUNK = """
import sys, time
from helpmate.index.embedders import MiniLMEmbedder

real_embed = MiniLMEmbedder.embed
calls = 0


def embed(self, texts, progress=None):
    # The real model embeds every chunk; the second waits first (up to two minutes, or until the
    # test's SIGINT), so the interrupt lands while the build embeds however loaded the machine is.
    # The sample library's 161 records are two chunks; unheld, the build could end before the test
    # saw the first chunk's file (it did, on a busy machine). Short sleeps: the signal may reach
    # another thread (torch's, the progress line's), and Python raises KeyboardInterrupt in the
    # main thread only when it next runs Python code.
    global calls
    calls += 1
    if calls == 2:
        for _ in range(1200):
            time.sleep(0.1)
    return real_embed(self, texts, progress)


MiniLMEmbedder.embed = embed
from helpmate.cli.main import run

sys.argv = ["helpmate", *sys.argv[1:]]
run()
"""


def test_sigint_while_embedding_keeps_what_was_embedded(tmp_path: Path) -> None:
    library = tmp_path / "library"
    shutil.copytree(SAMPLE, library)
    env = env_with(
        HELPMATE_HOME=str(tmp_path / "home"),
        HELPMATE_KNOWLEDGE=str(library),
        HELPMATE_EMBEDDER="minilm",
        HELPMATE_EMBEDDER_BACKEND="torch",  # the script holds MiniLMEmbedder (torch); ONNX: test_onnx_embedder
        HF_HUB_OFFLINE="1",
    )
    err_path = tmp_path / "stderr"
    with open(err_path, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", HELD_AFTER_THE_FIRST_CHUNK, "kb", "index"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
        )
        deadline = time.monotonic() + 600
        cache = tmp_path / "home" / "index" / "embedding-cache"
        while not list(cache.rglob("*.json")):  # the model has loaded and a first chunk is kept
            assert proc.poll() is None and time.monotonic() < deadline, err_path.read_text()
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=120)
    stderr = err_path.read_text()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "loading the model" in stderr  # progress from the start, before the first record
    found = re.search(r"interrupted: kept (\d+) embedded records?; run 'helpmate kb index' to go on", stderr)
    assert found, stderr
    kept = int(found.group(1))
    rerun = subprocess.run(
        [sys.executable, "-m", "helpmate.cli.main", "kb", "index"], env=env, capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr
    done = re.search(r"indexed (\d+) records: (\d+) embedded, 0 reused(?:, (\d+) kept)?", rerun.stdout)
    assert done, rerun.stdout
    total, embedded, resumed = int(done.group(1)), int(done.group(2)), int(done.group(3) or 0)
    assert resumed == kept and embedded == total - kept
