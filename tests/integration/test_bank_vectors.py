"""The shipped bank vectors are what MiniLM gives for those texts today (float16 aside)."""

from __future__ import annotations

import numpy as np
import pytest

from helpmate.index.embedders import MiniLMEmbedder
from helpmate.index.semantic import shipped_vectors, text_keys
from helpmate.knowledge.bank import load_bank

pytestmark = pytest.mark.integration


def test_shipped_vectors_match_the_model(minilm: MiniLMEmbedder) -> None:
    texts, _ = load_bank(None).labelled()
    sample = texts[:: max(1, len(texts) // 12)][:12]
    known = shipped_vectors("all-MiniLM-L6-v2")
    shipped = np.array([known[bytes(k)] for k in text_keys(sample)], dtype=np.float32)
    fresh = minilm.embed(sample)  # the session's model, loaded once for every integration test
    cosines = np.sum(shipped * fresh, axis=1) / np.linalg.norm(shipped, axis=1)
    assert cosines.min() > 0.999, cosines
