"""The real MiniLM through ONNX Runtime: exported once per machine, and no torch when answering.

The export (about 15 s, the only step that needs torch) goes where every home on the machine finds
it (the default HELPMATE_MODELS_DIR, the user's cache), so it is made by the first run on a
machine only. The session's sample index is built with it (`helpmate kb index`, once per session,
tests/integration/conftest.py) and the gate queries that index through torch: the same vectors.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpmate.index.embedders import MiniLMEmbedder, make_embedder, prepare
from helpmate.settings import Settings
from tests.conftest import SAMPLE

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
def onnx_home(sample_env: dict[str, str]) -> dict[str, str]:
    """The session's sample home: indexed by `helpmate kb index` through ONNX (tests/integration/conftest.py)."""
    return sample_env


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
    models = Settings().models_path  # the default, as kb index used it
    texts = ["lonely since his wife died", "Men's Shed (Age UK). A workshop where men share skills. " * 20]
    reference = minilm.embed(texts)
    fp32 = make_embedder("minilm", models)  # the default: torch's vectors, without torch
    prepare(fp32)  # already exported by kb index: nothing is made again
    np.testing.assert_allclose(fp32.embed(texts), reference, atol=1e-4)
    int8 = make_embedder("minilm", models, backend="onnx-int8")
    assert (reference * int8.embed(texts)).sum(axis=1).min() > 0.95


def test_the_index_takes_the_shipped_taxonomy_vectors(onnx_home: dict[str, str]) -> None:
    """The shipped MiniLM vectors are keyed by the model, not the backend: an ONNX fp32 index uses
    them as they are rather than embedding 2,700 texts again (its own agree to 1e-7, not bit for bit)."""
    from helpmate.index.builder import read_manifest
    from helpmate.index.semantic import shipped_vectors, text_keys
    from helpmate.knowledge.library import load_library

    index_dir = Path(onnx_home["HELPMATE_HOME"]) / "index"
    manifest = read_manifest(index_dir)
    assert manifest is not None and manifest["embedder"] == "all-MiniLM-L6-v2"
    with np.load(index_dir / manifest["folder"] / "needs.npz", allow_pickle=False) as arrays:
        example_vecs = arrays["example_vecs"]
    examples = [ex for need in load_library(SAMPLE).needs for ex in need.examples]
    known = shipped_vectors("all-MiniLM-L6-v2")
    shipped = np.vstack([known[bytes(k)] for k in text_keys(examples)]).astype(np.float32)
    np.testing.assert_array_equal(example_vecs, shipped)
