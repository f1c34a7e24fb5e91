"""A small classifier over embeddings: softmax regression, trained with numpy when the index is built.

Used by the semantic safeguarding layer: the index embeds the exemplar bank and the taxonomy's
everyday examples and trains this on them, so a search only multiplies a few vectors. A few
thousand short texts train in about a second; no extra package is needed, and the weights are
plain arrays kept in the generation folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

EPOCHS = 400
L2 = 1e-4
LEARNING_RATE = 2.0


@dataclass
class Classifier:
    """One row of weights per class."""

    classes: list[str]
    weights: np.ndarray  # (classes, dim)
    bias: np.ndarray  # (classes,)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        logits = vectors @ self.weights.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}_classes": np.array(self.classes),
            f"{prefix}_weights": self.weights.astype(np.float32),
            f"{prefix}_bias": self.bias.astype(np.float32),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any], prefix: str) -> Classifier | None:
        if f"{prefix}_weights" not in arrays:
            return None
        return cls(
            [str(c) for c in arrays[f"{prefix}_classes"]],
            np.asarray(arrays[f"{prefix}_weights"], dtype=np.float32),
            np.asarray(arrays[f"{prefix}_bias"], dtype=np.float32),
        )


def train(vectors: np.ndarray, labels: Sequence[str], weights: np.ndarray | None = None) -> Classifier:
    """Softmax regression by full-batch gradient descent on the mean weighted log loss.
    ``weights`` (per example) balance the classes; by default each class counts the same."""
    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[label] for label in labels])
    onehot = np.eye(len(classes), dtype=np.float32)[y]
    if weights is None:
        counts = np.bincount(y, minlength=len(classes)).astype(np.float32)
        weights = (1.0 / counts)[y]
    sample = (np.asarray(weights, dtype=np.float32) / float(np.sum(weights)))[:, None]
    x = np.asarray(vectors, dtype=np.float32)
    w = np.zeros((len(classes), x.shape[1]), dtype=np.float32)
    b = np.zeros(len(classes), dtype=np.float32)
    for _ in range(EPOCHS):
        logits = x @ w.T + b
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        grad = (probs - onehot) * sample
        w -= LEARNING_RATE * (grad.T @ x + L2 * w)
        b -= LEARNING_RATE * grad.sum(axis=0)
    return Classifier(classes, w, b)
