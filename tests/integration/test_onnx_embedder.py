"""The real MiniLM through ONNX Runtime: exported once per session, and no torch when answering.

The export (about 15 s, the only step that needs torch) goes into a models folder shared by the
session's tests; the sample library (161 records) is indexed with it once.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpmate.index.embedders import MiniLMEmbedder, make_embedder, prepare
from tests.conftest import SAMPLE, env_with

pytestmark = pytest.mark.integration

# Runs the real `helpmate suggest` in this process, then lists what it imported.
SUGGEST_AND_LIST_MODULES = """
import json, sys
from helpmate.cli.main import run
sys.argv = ["helpmate", "suggest", "--json", "lonely since his wife died, he used to love woodwork"]
try:
    run()
except SystemExit as exit:
    assert not exit.code, exit.code
heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules)
print(json.dumps({"heavy": heavy}))
"""


@pytest.fixture(scope="session")
def onnx_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("onnx")
    env = env_with(
        HELPMATE_HOME=str(root / "home"),
        HELPMATE_KNOWLEDGE=str(SAMPLE),
        HELPMATE_MODELS_DIR=str(root / "models"),
        HELPMATE_EMBEDDER="minilm",
        HELPMATE_EMBEDDER_BACKEND="onnx",
        HF_HUB_OFFLINE="1",
    )
    helpmate = str(Path(sys.executable).parent / "helpmate")
    built = subprocess.run([helpmate, "kb", "index"], env=env, capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stderr
    return env


def test_suggest_answers_without_importing_torch(onnx_home: dict[str, str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SUGGEST_AND_LIST_MODULES],
        env=onnx_home,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    answer, modules = json.loads("\n".join(lines[:-1])), json.loads(lines[-1])
    assert modules["heavy"] == []
    assert answer["services"] and answer["community"]


def test_onnx_vectors_agree_with_torch(onnx_home: dict[str, str], minilm: MiniLMEmbedder) -> None:
    models = Path(onnx_home["HELPMATE_MODELS_DIR"])
    texts = ["lonely since his wife died", "Men's Shed (Age UK). A workshop where men share skills. " * 20]
    reference = minilm.embed(texts)
    fp32 = make_embedder("minilm", models)  # the default: torch's vectors, without torch
    prepare(fp32)  # already exported by kb index: nothing is made again
    np.testing.assert_allclose(fp32.embed(texts), reference, atol=1e-4)
    int8 = make_embedder("minilm", models, backend="onnx-int8")
    assert (reference * int8.embed(texts)).sum(axis=1).min() > 0.95
