"""A small BM25 keyword index over the records (Okapi BM25, k1=1.2, b=0.75).

Postings are numpy arrays per term, so a query costs a few vector operations per query term.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from helpmate.index.text import tokenize


class KeywordIndex:
    def __init__(
        self, ids: list[str], postings: dict[str, tuple[np.ndarray, np.ndarray]], lengths: np.ndarray
    ):
        self.ids = ids
        self.postings = postings
        self.lengths = lengths
        self.avg_length = float(lengths.mean()) if len(lengths) else 1.0
        self.k1, self.b = 1.2, 0.75

    @classmethod
    def build(cls, ids: list[str], texts: Iterable[str]) -> KeywordIndex:
        docs: dict[str, list[tuple[int, int]]] = {}
        lengths = []
        for doc, text in enumerate(texts):
            tokens = tokenize(text)
            lengths.append(len(tokens))
            for term, count in Counter(tokens).items():
                docs.setdefault(term, []).append((doc, count))
        postings = {
            term: (
                np.array([d for d, _ in items], dtype=np.int32),
                np.array([c for _, c in items], dtype=np.float32),
            )
            for term, items in docs.items()
        }
        return cls(ids, postings, np.array(lengths, dtype=np.float32))

    def idf(self, term: str) -> float:
        n = len(self.postings[term][0]) if term in self.postings else 0
        return math.log(1 + (len(self.ids) - n + 0.5) / (n + 0.5))

    def scores(self, query_terms: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray:
        """BM25 score of every document for weighted query terms (already tokenized)."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        norm = self.k1 * (1 - self.b + self.b * self.lengths / self.avg_length)
        for i, term in enumerate(query_terms):
            if term not in self.postings:
                continue
            docs, tf = self.postings[term]
            weight = weights[i] if weights is not None else 1.0
            out[docs] += weight * self.idf(term) * tf * (self.k1 + 1) / (tf + norm[docs])
        return out

    def search(self, text: str, limit: int = 50) -> list[tuple[str, float]]:
        scores = self.scores(tokenize(text))
        top = np.argsort(-scores)[:limit]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
