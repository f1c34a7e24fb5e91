"""A small classifier over embeddings, and over the words beside them, trained when the index is built.

Used by the semantic safeguarding layer: the index embeds the exemplar bank and the taxonomy's
everyday examples and trains this on them, so a search only multiplies a few vectors. The weights
are plain arrays kept in the generation folder (no pickle).

Two trainers. ``train`` is softmax regression over the sentence vector alone, in numpy. MiniLM's
vectors put a risk and its lookalike close together ("next time he'll do it properly" and "next time
he'll do the job properly"), so ``train_lexical`` adds word and character n-grams (TF-IDF) beside
the vector, in a logistic regression from scikit-learn (installed with sentence-transformers):
measured by bench/safeguarding_models.py on evals/safeguarding/dev.yaml, with one everyday case
raised in both, 28 of 75 risks raised instead of 9 (README, limits). Reading a message needs no
scikit-learn: its n-grams are counted here, the same way the trainer counted them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

EPOCHS = 400
L2 = 1e-4
LEARNING_RATE = 2.0


LEXICAL_C = 10.0
"""Inverse regularisation of the lexical trainer, as benchmarked (no other value tried yet)."""
MIN_DF = 2
"""An n-gram in fewer bank and example texts than this is left out (a name, a typo)."""
WORD = re.compile(r"(?u)\b\w\w+\b")


def word_grams(text: str) -> list[str]:
    """Words of two letters or more, and each pair of neighbouring words."""
    words = WORD.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def char_grams(text: str) -> list[str]:
    """Two to five letters inside each word, its edges marked by spaces: what spelling varies
    ("feart", "dae her in", "abeg") still shares most of these with the bank."""
    out = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in range(2, 6):
            out += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
    return out


ANALYSERS = (word_grams, char_grams)


@dataclass
class Classifier:
    """One row of weights per class: over the n-grams of ``vocab`` (when it has one), then the vector."""

    classes: list[str]
    weights: np.ndarray  # (classes, n-grams + dim)
    bias: np.ndarray  # (classes,)
    vocab: list[dict[str, int]] = field(default_factory=list)
    """Per analyser (words, then characters), each n-gram's column."""
    idf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    def lexical(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The columns and TF-IDF values of a text's n-grams (sublinear counts, unit length per analyser)."""
        cols_out, values_out = [], []
        for analyse, columns in zip(ANALYSERS, self.vocab, strict=True):
            counts: dict[int, int] = {}
            for gram in analyse(text):
                if (col := columns.get(gram)) is not None:
                    counts[col] = counts.get(col, 0) + 1
            if counts:
                cols = np.fromiter(counts, dtype=np.int64)
                values = np.array([1.0 + math.log(c) for c in counts.values()]) * self.idf[cols]
                cols_out.append(cols)
                values_out.append(values / np.linalg.norm(values))
        if not cols_out:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(cols_out), np.concatenate(values_out).astype(np.float32)

    def probabilities(self, vectors: np.ndarray, texts: Sequence[str] = ()) -> np.ndarray:
        """Per text, each class's probability: ``texts`` are the words the vectors were made from,
        needed when the classifier reads words (``vocab``). Only the n-grams a text has are
        multiplied (a few hundred of the 34,000 columns of the shipped bank: about 1 ms for a message's
        units, 2 ms at p95, on our shared 2-core machine at a load average of 5)."""
        dim = vectors.shape[1]
        logits = vectors @ self.weights[:, -dim:].T + self.bias
        if self.vocab:
            for row, text in enumerate(texts):
                cols, values = self.lexical(text)
                logits[row] += self.weights[:, cols] @ values
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        grams = [sorted(v, key=v.__getitem__) for v in self.vocab]
        return {
            f"{prefix}_classes": np.array(self.classes),
            f"{prefix}_weights": self.weights.astype(np.float32),
            f"{prefix}_bias": self.bias.astype(np.float32),
        } | (
            {
                f"{prefix}_grams": np.array([g for block in grams for g in block]),
                f"{prefix}_gram_blocks": np.array([len(block) for block in grams], dtype=np.int64),
                f"{prefix}_idf": self.idf.astype(np.float32),
            }
            if self.vocab
            else {}
        )

    @classmethod
    def from_arrays(cls, arrays: dict[str, Any], prefix: str) -> Classifier | None:
        if f"{prefix}_weights" not in arrays:
            return None
        vocab: list[dict[str, int]] = []
        if f"{prefix}_grams" in arrays:
            grams, start = [str(g) for g in arrays[f"{prefix}_grams"]], 0
            for size in (int(n) for n in arrays[f"{prefix}_gram_blocks"]):
                vocab.append({g: start + i for i, g in enumerate(grams[start : start + size])})
                start += size
        return cls(
            [str(c) for c in arrays[f"{prefix}_classes"]],
            np.asarray(arrays[f"{prefix}_weights"], dtype=np.float32),
            np.asarray(arrays[f"{prefix}_bias"], dtype=np.float32),
            vocab,
            np.asarray(arrays.get(f"{prefix}_idf", np.zeros(0)), dtype=np.float32),
        )


def train_lexical(
    texts: Sequence[str], vectors: np.ndarray, labels: Sequence[str], weights: np.ndarray | None = None
) -> Classifier:
    """Multinomial logistic regression over each text's word and character n-grams (TF-IDF) and its
    sentence vector. About 35 s for the 5,900 bank and example texts on our shared 2-core machine."""
    from scipy.sparse import csr_matrix, hstack  # with scikit-learn, below: about 1 s, index builds only
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    blocks, vocab, idf, offset = [], [], [], 0
    for analyse in ANALYSERS:
        tfidf = TfidfVectorizer(analyzer=analyse, min_df=MIN_DF, sublinear_tf=True, dtype=np.float32)
        blocks.append(tfidf.fit_transform(list(texts)))
        vocab.append({g: offset + int(i) for g, i in tfidf.vocabulary_.items()})
        idf.append(tfidf.idf_)
        offset += len(tfidf.vocabulary_)
    x = hstack([*blocks, csr_matrix(np.asarray(vectors, dtype=np.float32))]).tocsr()
    if weights is None:  # each class counts the same
        _, y = np.unique(np.array(labels), return_inverse=True)
        weights = (1.0 / np.bincount(y))[y]
    weights = np.asarray(weights, dtype=np.float64)
    model = LogisticRegression(C=LEXICAL_C, max_iter=1000)
    model.fit(x, list(labels), sample_weight=weights / weights.mean())
    coef, intercept = np.asarray(model.coef_), np.asarray(model.intercept_)
    if len(model.classes_) == 2:  # one row for the second class: as softmax, the first row is zeros
        coef, intercept = np.vstack([np.zeros_like(coef), coef]), np.array([0.0, intercept[0]])
    return Classifier(
        [str(c) for c in model.classes_],
        coef.astype(np.float32),
        intercept.astype(np.float32),
        vocab,
        np.concatenate(idf).astype(np.float32),
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
