"""Search over the index: need-aware scoring for suggestions, and rank-fused raw hits.

``Index.load`` reads the active generation named by the manifest, files only (snapshot, record
vectors, keyword index, need vectors: JSON and numpy without pickle), and writes nothing: the
vector store is opened only by ``Index.hybrid`` (``helpmate kb search``). 5.6k records' vectors
are 8.6 MB in memory, and an exact cosine over all of them costs about a millisecond, less than an
approximate query.

Two ways to search:

- ``Index.rank`` (suggestions): for each need the situation touches, a record scores
  ``cos(record, situation) + W_NEED * cos(record, need description) + W_TAG * [record tagged with
  the need] + W_NEED_KEYWORDS * BM25(the need's keywords, normalised) + W_KEYWORD * BM25(situation
  words, normalised)``, scaled by how strongly the need was found; a record's score is its best
  need, less ``W_ELSEWHERE`` when it names only localities other than the person's. Tuned on the
  ORUK development set (recall 0.37 with rank fusion, 0.52 with this; 0.45 on an independent
  hold-out set where plain dense search gets 0.32).
- ``Index.hybrid`` (``helpmate kb search``): a Chroma query and a BM25 query per track, fused by
  reciprocal rank: ``score(d) = sum_l 1 / (K + rank_l(d))``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from helpmate.errors import HelpmateError
from helpmate.index.builder import KEYWORD, KEYWORD_FORMAT, read_manifest
from helpmate.index.keyword import KeywordIndex
from helpmate.index.store import ALL_AREAS, VectorStore, area_key
from helpmate.index.text import tokenize
from helpmate.index.vectors import load_vectors
from helpmate.knowledge.library import with_shipped_kinds
from helpmate.knowledge.places import Gazetteer
from helpmate.knowledge.records import Area, Need, Record

RRF_K = 60
TRACKS = ("service", "community")
W_NEED = 0.5
W_TAG = 0.2
W_KEYWORD = 0.2
W_NEED_KEYWORDS = 0.2
W_ELSEWHERE = 0.1
"""Taken off a record that names only other localities than the person's (South Gloucestershire
services for someone in Hartcliffe, Bristol): it moves down the list, it is not filtered out. On the
four ORUK sets, 0.05 / 0.1 / 0.2 took records of another locality from 75 of the 750 shown (in
situations naming a place; 6 of them relevant) to 43 / 27 / 8 (6 / 5 / 2 relevant); recall on dev,
hold-out, hold-out 2, hold-out 3 against none: +0.007 +0 +0.006 +0.005 / +0.007 -0.005 +0.006
+0.005 / +0 -0.011 +0.006 +0.005. (The loss on hold-out: a Bristol LGBTQ youth group for a teenager
at school in Kingswood, South Gloucestershire, judged relevant.)"""
FIT_FOR_REASON = 0.35
"""A record is said to meet a need (in its reason) when it is tagged with it or this close to it."""


@dataclass
class Hit:
    record: Record
    score: float
    tag: str | None
    """The need the record was ranked for (None when it is simply close to what was said)."""
    caveat: str = ""
    """Who the record is for, when it is not clear the person fits ("for carers"): shown with it."""
    reason: str | None = None
    """The need whose words its reason quotes, when not ``tag`` (the one the record meets most
    closely among those it fits)."""
    notice: str = ""
    """A knowledge manager's current notice on the record ("Closed until 6 January")."""
    closed: bool = False


@dataclass
class Filters:
    area: str | None = None
    audience: str | None = None
    age: int | None = None
    localities: frozenset[str] = frozenset()
    """The localities the person is in: records only of other localities come after their own."""


def need_fit(vectors: np.ndarray, need_vectors: dict[str, np.ndarray], count: int) -> np.ndarray:
    """How well each record fits each need: half its closeness to the need's description, half
    the mean of its three closest need keywords (each embedded on its own), so a record that is
    one specific kind of help ("social anxiety group") fits its need as well as a broad one.
    Measured on the ORUK sets: description alone 0.557/0.446 (dev/hold-out), with keywords 0.564/0.462.
    """
    fit = np.zeros((len(vectors), count), dtype=np.float32)
    search_vecs = need_vectors.get("search_vecs")
    if search_vecs is None or not len(vectors):
        return fit
    fit += vectors @ search_vecs.T
    keyword_vecs, owner = need_vectors.get("keyword_vecs"), need_vectors.get("keyword_need")
    if keyword_vecs is None or owner is None or not len(keyword_vecs):
        return fit
    sims = vectors @ keyword_vecs.T
    for col in range(count):
        own = sims[:, owner == col]
        if own.shape[1]:
            top = np.sort(own, axis=1)[:, -3:].mean(axis=1)
            fit[:, col] = 0.5 * fit[:, col] + 0.5 * top
    return fit


class Index:
    def __init__(
        self,
        records: list[Record],
        needs: list[Need],
        areas: list[Area],
        keyword: KeywordIndex,
        need_vectors: dict[str, np.ndarray],
        store: VectorStore | None,
        vectors: np.ndarray,
        manifest: dict[str, Any],
    ) -> None:
        self.records = records
        self.by_id = {r.id: r for r in records}
        self.position = {r.id: i for i, r in enumerate(records)}
        self.needs = needs
        self.areas = areas
        self.keyword = keyword
        self.need_vectors = need_vectors
        self.store = store
        self._collection: Any = None
        self.manifest = manifest
        self._track_masks = {t: np.array([r.track == t for r in records], dtype=bool) for t in TRACKS}
        self._area_masks: dict[str | None, np.ndarray] = {}
        self.vectors = vectors if len(records) else np.zeros((0, 1), dtype=np.float32)
        need_ids = {n.id: i for i, n in enumerate(needs)}
        self.need_tags = np.zeros((len(records), len(needs)), dtype=np.float32)
        for row, record in enumerate(records):
            for need_id in record.all_needs():
                if need_id in need_ids:
                    self.need_tags[row, need_ids[need_id]] = 1.0
        # How strongly each record uses each need's keywords (BM25, scaled to 0..1 per need): a graded
        # companion to the import's yes/no need tags.
        self.need_keywords = np.zeros((len(records), len(needs)), dtype=np.float32)
        for col, need in enumerate(needs):
            scores = keyword.scores(list(dict.fromkeys(tokenize(" ".join(need.keywords)))))
            if len(scores) and scores.max() > 0:
                self.need_keywords[:, col] = scores / scores.max()
        self.need_fit = need_fit(self.vectors, need_vectors, len(needs))
        self.gazetteer = Gazetteer(areas)
        self.localities = [
            self.gazetteer.named(f"{r.name}\n{r.organisation}\n{r.description}", r.areas)
            if self.gazetteer
            else frozenset()
            for r in records
        ]
        self._min_age = np.array(
            [r.eligibility.min_age if r.eligibility.min_age is not None else -1 for r in records],
            dtype=np.int32,
        )
        self._max_age = np.array(
            [r.eligibility.max_age if r.eligibility.max_age is not None else 999 for r in records],
            dtype=np.int32,
        )

    @property
    def collection(self) -> Any:
        """The generation's Chroma collection, opened on first use (only ``hybrid`` needs it)."""
        if self._collection is None:
            if self.store is None:
                raise HelpmateError("this index was loaded without its vector store")
            self._collection = self.store.get(self.manifest["collection"])
        return self._collection

    @classmethod
    def load(cls, index_dir: Path, store: VectorStore | None = None) -> Index:
        """The active generation, read from its folder; no vector store is opened and nothing is
        written, so a search works on a read-only or full disk. A build that switches generations
        meanwhile (and removes the old folder) is followed to the new one."""
        for attempt in range(3):
            manifest = read_manifest(index_dir)
            if manifest is None:
                raise HelpmateError(f"no index in {index_dir}", hint="run 'helpmate kb index' to build it")
            try:
                return cls._load_generation(index_dir, manifest, store)
            except HelpmateError:
                if attempt == 2 or read_manifest(index_dir) == manifest:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    @classmethod
    def _load_generation(cls, index_dir: Path, manifest: dict[str, Any], store: VectorStore | None) -> Index:
        folder = index_dir / manifest["folder"]
        if manifest.get("keyword") != KEYWORD_FORMAT:
            raise HelpmateError(
                f"the index in {folder} was built by an earlier helpmate",
                hint="run 'helpmate kb index' to bring it up to date (vectors are reused)",
            )
        try:
            snapshot = json.loads((folder / "snapshot.json").read_text(encoding="utf-8"))
            records = [Record.model_validate(r) for r in snapshot["records"]]
            needs = with_shipped_kinds([Need.model_validate(n) for n in snapshot["needs"]])
            areas = [Area.model_validate(a) for a in snapshot.get("areas", [])]
            keyword = KeywordIndex.load(folder / KEYWORD, [r.id for r in records])
            with np.load(folder / "needs.npz", allow_pickle=False) as saved:
                need_vectors = {name: saved[name] for name in saved.files}
            vectors = load_vectors(folder, len(records))
            if len(records) and vectors.shape[1] != need_vectors["search_vecs"].shape[1]:
                raise ValueError("the record and need vectors differ in size")
        except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
            raise HelpmateError(
                f"the index in {folder} is damaged ({type(exc).__name__})",
                hint="run 'helpmate kb index --rebuild'",
            ) from exc
        return cls(records, needs, areas, keyword, need_vectors, store, vectors, manifest)

    # ------------------------------------------------------------------ filters

    def area_mask(self, area: str | None) -> np.ndarray:
        if area not in self._area_masks:
            self._area_masks[area] = np.array(
                [area is None or not r.areas or area in r.areas for r in self.records], dtype=bool
            )
        return self._area_masks[area]

    def allowed(self, record: Record, filters: Filters) -> bool:
        if filters.area and record.areas and filters.area not in record.areas:
            return False
        if filters.audience and record.audiences and filters.audience.lower() not in record.audiences:
            return False
        if filters.age is not None:
            low, high = record.eligibility.min_age, record.eligibility.max_age
            if (low is not None and filters.age < low) or (high is not None and filters.age > high):
                return False
        return True

    def mask(self, track: str, filters: Filters) -> np.ndarray:
        mask = self._track_masks[track] & self.area_mask(filters.area)
        if filters.age is not None:
            mask = mask & (self._min_age <= filters.age) & (self._max_age >= filters.age)
        if filters.audience:
            wanted = filters.audience.lower()
            mask = mask & np.array(
                [not r.audiences or wanted in r.audiences for r in self.records], dtype=bool
            )
        return mask

    # ------------------------------------------------------------------ need-aware ranking

    def rank(
        self,
        query_vector: np.ndarray,
        query_terms: Sequence[str],
        needs: Sequence[tuple[int, str, float]],
        *,
        track: str,
        filters: Filters | None = None,
        limit: int = 5,
    ) -> list[Hit]:
        """Best records of one track for a situation and the needs found in it.

        ``needs`` holds (column in the taxonomy, need id, weight 0..1) for each need found.
        """
        filters = filters or Filters()
        candidates = np.flatnonzero(self.mask(track, filters))
        if len(candidates) == 0:
            return []
        base = self.vectors[candidates] @ query_vector
        keyword = self.keyword.scores(query_terms)[candidates] if query_terms else np.zeros(len(candidates))
        if keyword.max() > 0:
            base = base + W_KEYWORD * keyword / keyword.max()
        if needs:
            columns = np.array([col for col, _, _ in needs], dtype=np.intp)
            weights = np.array([w for _, _, w in needs], dtype=np.float32)
            per_need = (
                base[:, None]
                + W_NEED * self.need_fit[np.ix_(candidates, columns)]
                + W_TAG * self.need_tags[np.ix_(candidates, columns)]
                + W_NEED_KEYWORDS * self.need_keywords[np.ix_(candidates, columns)]
            ) * weights
            best = per_need.argmax(axis=1)
            scores = per_need[np.arange(len(candidates)), best]
        else:
            best, scores = None, base
        if filters.localities:
            wanted = filters.localities
            scores = scores - W_ELSEWHERE * np.array(
                [bool(self.localities[c]) and not self.localities[c] & wanted for c in candidates],
                dtype=np.float32,
            )
        hits = []
        for i in np.argsort(-scores)[:limit]:
            tag = None
            if best is not None:
                row, col = candidates[i], needs[int(best[i])][0]
                if self.need_tags[row, col] or self.need_fit[row, col] >= FIT_FOR_REASON:
                    tag = needs[int(best[i])][1]
            hits.append(Hit(self.records[candidates[i]], float(scores[i]), tag))
        return hits

    # ------------------------------------------------------------------ lists

    def dense(self, vectors: np.ndarray, track: str, area: str | None, limit: int) -> list[list[str]]:
        clauses: list[dict[str, Any]] = [{"track": track}]
        if area:
            clauses.append({"$or": [{area_key(area): True}, {ALL_AREAS: True}]})
        where = clauses[0] if len(clauses) == 1 else {"$and": clauses}
        available = int((self._track_masks[track] & self.area_mask(area)).sum())
        if available == 0 or len(vectors) == 0:
            return [[] for _ in range(len(vectors))]
        result = self.collection.query(
            query_embeddings=np.asarray(vectors, dtype=np.float32),
            n_results=min(limit, available),
            where=where,
            include=[],
        )
        return [list(ids) for ids in result["ids"]]

    def keyword_list(
        self, terms: Sequence[str], weights: Sequence[float] | None, track: str, area: str | None, limit: int
    ) -> list[str]:
        if not terms:
            return []
        scores = self.keyword.scores(terms, weights)
        scores[~(self._track_masks[track] & self.area_mask(area))] = 0
        top = (
            np.argpartition(-scores, min(limit, len(scores) - 1))[:limit]
            if len(scores) > limit
            else np.arange(len(scores))
        )
        top = top[np.argsort(-scores[top])]
        return [self.keyword.ids[i] for i in top if scores[i] > 0]

    # ------------------------------------------------------------------ fusion

    def hybrid(
        self,
        query_vector: np.ndarray,
        query_terms: Sequence[str],
        *,
        track: str,
        filters: Filters | None = None,
        limit: int = 5,
        depth: int = 40,
    ) -> list[Hit]:
        """Raw hits for knowledge managers: a Chroma list and a BM25 list fused by reciprocal rank."""
        filters = filters or Filters()
        lists = [
            self.dense(np.asarray([query_vector]), track, filters.area, depth)[0],
            self.keyword_list(query_terms, None, track, filters.area, depth),
        ]
        scores: dict[str, float] = {}
        for ids in lists:
            for rank, rid in enumerate(ids):
                scores[rid] = scores.get(rid, 0.0) + 1 / (RRF_K + rank + 1)
        hits = []
        for rid, score in sorted(scores.items(), key=lambda kv: -kv[1]):
            record = self.by_id.get(rid)
            if record is None or not self.allowed(record, filters):
                continue
            hits.append(Hit(record, score, None))
            if len(hits) >= limit:
                break
        return hits
