"""Training the semantic safeguarding layer when the index is built.

The exemplar bank (``knowledge/bank.py``) is embedded with the index's embedder, the taxonomy's
everyday examples are added as texts that are not risks, and a softmax classifier
(``index/classifier.py``) is trained on them. Its weights are kept with the need vectors of the
generation, so a search only multiplies a few vectors; the bank's texts are never embedded again
until the bank, the taxonomy or the embedder changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from helpmate import data
from helpmate.index.classifier import Classifier, train
from helpmate.index.embedders import Embedder
from helpmate.knowledge.bank import NONE, Bank, load_bank
from helpmate.knowledge.records import Need

PREFIX = "semantic"


def training_settings() -> dict[str, Any]:
    from helpmate.knowledge.library import read_yaml

    raw = read_yaml(data.path("safeguarding", "training.yaml"))
    return raw if isinstance(raw, dict) else {}


def semantic_arrays(
    embedder: Embedder, needs: list[Need], bank: Bank, example_vecs: np.ndarray, example_need: np.ndarray
) -> dict[str, np.ndarray]:
    """The classifier's arrays (``semantic_*``) for the needs.npz of a generation."""
    excluded = set(training_settings().get("ordinary_needs_except") or [])
    texts, labels = bank.labelled()
    if not any(label != NONE for label in labels):
        return {}
    risk_vecs = embedder.embed(texts)
    keep = np.array([needs[int(i)].id not in excluded for i in example_need], dtype=bool)
    ordinary = example_vecs[keep] if len(example_vecs) else np.zeros((0, risk_vecs.shape[1]), np.float32)
    vectors = np.vstack([risk_vecs, ordinary])
    all_labels = [*labels, *([NONE] * len(ordinary))]
    is_none = np.array([label == NONE for label in all_labels])
    # Risks and not-risks weigh the same in all.
    weights = np.where(is_none, 0.5 / max(1, is_none.sum()), 0.5 / max(1, (~is_none).sum()))
    return train(vectors, all_labels, weights).to_arrays(PREFIX) | {
        "semantic_bank": np.array([bank.fingerprint])
    }


def load_classifier(arrays: dict[str, Any]) -> Classifier | None:
    return Classifier.from_arrays(arrays, PREFIX)


def bank_for(library_root: Path | None) -> Bank:
    return load_bank(library_root)
