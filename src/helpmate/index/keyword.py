"""Keyword search (BM25) over the records, built by bm25s and stored as data that cannot run code.

bm25s computes every (term, record) BM25 weight once, at build (Lucene's variant with k1=1.2 and
b=0.75, the same scores as the hand-written index it replaces, up to a constant factor that every
caller normalises away), and saves them as a sparse matrix: three numpy ``.npy`` arrays written
with ``allow_pickle=False`` and a JSON vocabulary. A query only adds up the saved rows of its
terms, as bm25s's own ``get_scores`` does; that sum is done here with numpy on the loaded arrays,
so the search path imports neither bm25s nor the scipy it pulls in (0.6 s measured on our 2-core
machines), and whatever is in the folder is checked as data: a planted or damaged file fails a
check (``ValueError``), it never runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helpmate.index.text import tokenize

K1, B = 1.2, 0.75
PARAMS, VOCAB = "params.index.json", "vocab.index.json"
ARRAYS = ("data", "indices", "indptr")


def _array_file(name: str) -> str:
    return f"{name}.csc.index.npy"  # the names bm25s saves under


class KeywordIndex:
    """Per-term BM25 weights of every record: ``weights[indptr[t]:indptr[t+1]]`` are the weights of
    term ``t`` in the records ``indices[indptr[t]:indptr[t+1]]`` (a CSC matrix, terms as columns)."""

    def __init__(
        self, ids: list[str], vocab: dict[str, int], data: np.ndarray, indices: np.ndarray, indptr: np.ndarray
    ) -> None:
        self.ids = ids
        self.vocab = vocab
        self.data = data
        self.indices = indices
        self.indptr = indptr

    @classmethod
    def build(cls, ids: list[str], texts: Iterable[str]) -> KeywordIndex:
        corpus = [tokenize(text) for text in texts]
        if not any(corpus):  # bm25s needs at least one term; an empty library scores nothing
            return cls(ids, {}, np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int64))
        import bm25s  # ~0.6 s with scipy: only builds pay it

        model = bm25s.BM25(k1=K1, b=B, method="lucene")
        model.index(corpus, show_progress=False)
        scores = model.scores
        return cls(
            ids,
            # bm25s adds an empty term with no column, for queries of no known word: left out.
            {str(term): int(col) for term, col in model.vocab_dict.items() if term},
            np.asarray(scores["data"], dtype=np.float32),
            np.asarray(scores["indices"], dtype=np.int32),
            np.asarray(scores["indptr"], dtype=np.int64),
        )

    def save(self, folder: Path) -> None:
        """bm25s's layout (so ``bm25s.BM25.load`` reads it too), plus the record ids in order."""
        folder.mkdir(parents=True, exist_ok=True)
        for name, array in zip(ARRAYS, (self.data, self.indices, self.indptr), strict=True):
            np.save(folder / _array_file(name), array, allow_pickle=False)
        (folder / VOCAB).write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        params = {"k1": K1, "b": B, "method": "lucene", "idf_method": "lucene", "num_docs": len(self.ids)}
        (folder / PARAMS).write_text(json.dumps(params), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, ids: list[str]) -> KeywordIndex:
        """The saved index, checked against the records it was built for; ``ValueError`` (or
        ``OSError``) when anything is missing, damaged or not what a build writes."""
        params = _json(folder / PARAMS)
        if not isinstance(params, dict) or params.get("num_docs") != len(ids):
            raise ValueError("the keyword index was built for other records")
        vocab = _json(folder / VOCAB)
        if not isinstance(vocab, dict):
            raise ValueError("the keyword vocabulary is not a mapping")
        data, indices, indptr = (np.load(folder / _array_file(n), allow_pickle=False) for n in ARRAYS)
        if not (
            data.ndim == indices.ndim == indptr.ndim == 1
            and data.dtype.kind == "f"
            and indices.dtype.kind in "iu"
            and indptr.dtype.kind in "iu"
            and len(indptr) >= 1
            and indptr[0] == 0
            and indptr[-1] == len(data) == len(indices)
            and bool(np.all(np.diff(indptr) >= 0))
            and (not len(indices) or (indices.min() >= 0 and indices.max() < len(ids)))
            and all(isinstance(v, int) and 0 <= v < len(indptr) - 1 for v in vocab.values())
        ):
            raise ValueError("the keyword index arrays do not fit together")
        return cls(ids, vocab, data.astype(np.float32), indices.astype(np.intp), indptr.astype(np.intp))

    def scores(self, query_terms: Sequence[str], weights: Sequence[float] | None = None) -> np.ndarray:
        """BM25 score of every record for (optionally weighted) query terms, already tokenized; a
        term given twice counts twice, as in bm25s."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        for i, term in enumerate(query_terms):
            col = self.vocab.get(term)
            if col is None or not term:
                continue
            start, end = int(self.indptr[col]), int(self.indptr[col + 1])
            weight = weights[i] if weights is not None else 1.0
            out[self.indices[start:end]] += weight * self.data[start:end]
        return out

    def search(self, text: str, limit: int = 50) -> list[tuple[str, float]]:
        scores = self.scores(tokenize(text))
        top = np.argsort(-scores)[:limit]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
