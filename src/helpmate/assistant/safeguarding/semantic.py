"""The semantic layer: each part of a message compared with a bank of examples of every kind of risk.

Rules only see the phrasings someone wrote a rule for, and risk is said in endless ways ("next
time he'd do it properly", "keeps her bank card while she goes without"). This layer embeds each
sentence and clause of a message with the index's embedder and scores it with a classifier
trained on the exemplar bank (helpmate/data/safeguarding/bank-*.yaml: for every kind, ways a
worker or a person might say it, and lookalikes that share its words but are not a risk) plus the
taxonomy's everyday examples of ordinary needs as further lookalikes. A part whose probability of
some kind of risk reaches ``CONCERN`` raises a ``concern`` (or the kind's own level, for the kinds
that are urgent whenever they are real); one that reaches only ``CHECK`` raises a quieter
``check``: worth asking about. The bank is data a safeguarding lead can read and extend (a library
may add its own ``safeguarding-bank.yaml`` in the same format).

The classifier is multinomial logistic regression on the embeddings (numpy, no extra package),
trained when the index is built and kept in the generation folder beside the other vectors.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from helpmate import data
from helpmate.errors import LibraryInvalid

NONE = "none"
CONCERN = 0.5
"""A part raises a concern when the probability it speaks of some kind of risk reaches this."""
CHECK = 0.3
"""... and a quieter "worth asking about" when it reaches only this."""
EPOCHS = 300
L2 = 1e-3
LEARNING_RATE = 0.5


@dataclass(frozen=True)
class Bank:
    """Risk examples per kind and lookalikes, as read from the bank files."""

    risks: dict[str, list[str]]
    lookalikes: list[str]

    @property
    def fingerprint(self) -> str:
        payload = json.dumps([self.risks, self.lookalikes], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def load_bank(extra: Sequence[Path] = ()) -> Bank:
    """The shipped bank (every bank-*.yaml) and any library bank files on top."""
    from helpmate.knowledge.library import read_yaml

    folder = data.path("safeguarding")
    paths = [*sorted(folder.glob("bank-*.yaml")), *[p for p in extra if p.exists()]]
    risks: dict[str, list[str]] = {}
    lookalikes: list[str] = []
    for path in paths:
        raw = read_yaml(path)
        kinds = raw.get("kinds") if isinstance(raw, dict) else None
        if not isinstance(kinds, dict):
            raise LibraryInvalid(f"{path}: expected 'kinds:' with risks and lookalikes per kind")
        for kind, entry in kinds.items():
            if not isinstance(entry, dict):
                raise LibraryInvalid(f"{path}: kind {kind}: expected 'risks' and 'lookalikes' lists")
            risks.setdefault(str(kind), []).extend(str(t) for t in entry.get("risks") or [])
            lookalikes.extend(str(t) for t in entry.get("lookalikes") or [])
    return Bank(risks, lookalikes)


@dataclass
class Classifier:
    """Softmax regression over embeddings: one row of weights per class (the kinds, then none)."""

    classes: list[str]
    weights: np.ndarray  # (classes, dim)
    bias: np.ndarray  # (classes,)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = vectors @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def risk(self, vectors: np.ndarray) -> list[tuple[str, float]]:
        """For each vector, the likeliest kind of risk and the probability of any risk at all."""
        if not len(vectors):
            return []
        probs = self.probabilities(vectors)
        none = self.classes.index(NONE)
        risky = 1.0 - probs[:, none]
        probs[:, none] = -1.0
        return [(self.classes[int(np.argmax(row))], float(r)) for row, r in zip(probs, risky, strict=True)]

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "semantic_classes": np.array(self.classes),
            "semantic_weights": self.weights.astype(np.float32),
            "semantic_bias": self.bias.astype(np.float32),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any]) -> Classifier | None:
        if "semantic_weights" not in arrays:
            return None
        return cls(
            [str(c) for c in arrays["semantic_classes"]],
            np.asarray(arrays["semantic_weights"], dtype=np.float32),
            np.asarray(arrays["semantic_bias"], dtype=np.float32),
        )


def train(
    vectors: np.ndarray, labels: Sequence[str], classes: Sequence[str], weights: np.ndarray | None = None
) -> Classifier:
    """Softmax regression by full-batch gradient descent (a few thousand short texts: well under a
    second). ``weights`` balances the classes: each class counts as much as any other."""
    classes = list(classes)
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[label] for label in labels])
    onehot = np.eye(len(classes), dtype=np.float32)[y]
    if weights is None:
        counts = np.bincount(y, minlength=len(classes)).astype(np.float32)
        weights = (len(y) / (len(classes) * np.maximum(counts, 1)))[y]
    sample = (weights / weights.sum())[:, None].astype(np.float32)
    w = np.zeros((len(classes), vectors.shape[1]), dtype=np.float32)
    b = np.zeros(len(classes), dtype=np.float32)
    x = vectors.astype(np.float32)
    for _ in range(EPOCHS):
        logits = x @ w.T + b
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        grad = (probs - onehot) * sample
        w -= LEARNING_RATE * (grad.T @ x + L2 * w) * len(classes)
        b -= LEARNING_RATE * grad.sum(axis=0) * len(classes)
    return Classifier(classes, w, b)


def build(
    bank: Bank,
    ordinary: Sequence[str],
    embed: Callable[[list[str]], np.ndarray],
) -> Classifier:
    """Train on the bank's risks (labelled by kind), its lookalikes and ``ordinary`` texts (the
    taxonomy's everyday examples of needs that are not risks), all labelled none."""
    texts: list[str] = []
    labels: list[str] = []
    for kind, items in bank.risks.items():
        texts += items
        labels += [kind] * len(items)
    negatives = [*bank.lookalikes, *ordinary]
    texts += negatives
    labels += [NONE] * len(negatives)
    kinds = sorted(bank.risks)
    classes = [*kinds, NONE]
    vectors = embed(texts)
    # Risks and not-risks weigh the same in all; within the risks, each kind the same.
    y_none = np.array([label == NONE for label in labels])
    per_kind = {k: labels.count(k) for k in kinds}
    weights = np.array(
        [
            0.5 / y_none.sum() if label == NONE else 0.5 / (len(kinds) * per_kind[label])
            for label in labels
        ],
        dtype=np.float32,
    )
    return train(vectors, labels, classes, weights)
