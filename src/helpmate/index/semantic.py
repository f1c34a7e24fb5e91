"""Training the semantic safeguarding layer when the index is built.

The exemplar bank (``knowledge/bank.py``) is embedded with the index's embedder, the taxonomy's
everyday examples are added as texts that are not risks, and a classifier over their vectors and
their words (``index/classifier.py``) is trained on them. Its weights are kept with the need vectors of the
generation, so a search only multiplies a few vectors; the bank's texts are never embedded again
until the bank, the taxonomy or the embedder changes; the shipped bank's vectors for MiniLM come
with the package (``vectors-all-MiniLM-L6-v2.npz``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from helpmate import data
from helpmate.index.classifier import Classifier, train_lexical
from helpmate.index.embedders import Embedder
from helpmate.knowledge.bank import NONE, Bank, load_bank
from helpmate.knowledge.records import Need

PREFIX = "semantic"


FORMAT = "words-and-vectors-1"
"""What the classifier reads; the index trains it again when this changes (an index built before
it read words keeps its vector-only classifier, at that classifier's own bar, until then)."""


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
    risk_vecs = embed_bank(embedder, texts)
    keep = np.array([needs[int(i)].id not in excluded for i in example_need], dtype=bool)
    ordinary = example_vecs[keep] if len(example_vecs) else np.zeros((0, risk_vecs.shape[1]), np.float32)
    examples = [ex for n in needs for ex in n.examples]
    vectors = np.vstack([risk_vecs, ordinary])
    all_texts = [*texts, *(ex for ex, kept in zip(examples, keep, strict=True) if kept)]
    all_labels = [*labels, *([NONE] * len(ordinary))]
    is_none = np.array([label == NONE for label in all_labels])
    # Risks and not-risks weigh the same in all.
    weights = np.where(is_none, 0.5 / max(1, is_none.sum()), 0.5 / max(1, (~is_none).sum()))
    return train_lexical(all_texts, vectors, all_labels, weights).to_arrays(PREFIX) | {
        "semantic_bank": np.array([bank.fingerprint])
    }


SHIPPED_VECTORS = "vectors-{name}.npz"
"""The shipped bank's vectors per embedder (helpmate/data/safeguarding/), written by
``python -m helpmate.index.semantic`` after the bank changes: a first index then embeds the
taxonomy's examples but not the 6,000 bank texts (minutes on two cores)."""


def text_keys(texts: list[str]) -> np.ndarray:
    return np.array([hashlib.sha256(t.encode()).digest()[:8] for t in texts], dtype="S8")


def shipped_vectors(name: str) -> dict[bytes, np.ndarray]:
    path = data.path("safeguarding", SHIPPED_VECTORS.format(name=name))
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as arrays:
        keys, vectors = arrays["keys"], arrays["vectors"]
        return {bytes(k): v for k, v in zip(keys, vectors, strict=True)}


def embed_bank(
    embedder: Embedder, texts: list[str], embed: Callable[[list[str]], np.ndarray] | None = None
) -> np.ndarray:
    """Vectors for texts the package may carry (the bank, the shipped taxonomy's examples and
    keywords): shipped ones where the text and the embedder match, the rest embedded (by
    ``embed``, when given, e.g. in chunks with progress)."""
    known = shipped_vectors(embedder.name)
    keys = [bytes(k) for k in text_keys(texts)]
    missing = [i for i, k in enumerate(keys) if k not in known]
    fresh = (embed or embedder.embed)([texts[i] for i in missing]) if missing else None
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i, key in enumerate(keys):
        if key in known:
            out[i] = known[key]
    if fresh is not None:
        out[missing] = fresh
    return out


def write_shipped_vectors(embedder: Embedder) -> Path:
    """Embed the shipped bank (not a library's) and save it beside the bank files."""
    from helpmate.index.builder import need_texts
    from helpmate.knowledge.library import load_library

    texts, _ = load_bank(None).labelled()
    needs = load_library(data.path("library")).needs
    texts += [ex for n in needs for ex in n.examples] + [need_texts(n) for n in needs]
    texts += [k for n in needs for k in n.keywords]
    texts = list(dict.fromkeys(texts))
    path = data.path("safeguarding", SHIPPED_VECTORS.format(name=embedder.name))
    vectors = embedder.embed(texts).astype(np.float32)
    np.savez_compressed(path, keys=text_keys(texts), vectors=vectors)
    return path


def load_classifier(arrays: dict[str, Any]) -> Classifier | None:
    return Classifier.from_arrays(arrays, PREFIX)


def bank_for(library_root: Path | None) -> Bank:
    return load_bank(library_root)


if __name__ == "__main__":  # python -m helpmate.index.semantic: after editing the shipped bank
    from helpmate.index.embedders import MiniLMEmbedder

    print(write_shipped_vectors(MiniLMEmbedder(batch_size=32)))
