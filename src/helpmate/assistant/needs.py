"""Which needs of the taxonomy a situation touches, how strongly, and in what order to plan them.

A need's score for a situation: the mean of its three worker-language examples closest to the
situation (each at its best phrase), plus ``SEARCH_WEIGHT`` times the closeness to the need's
directory-language description, plus ``KEYWORD_BONUS`` per keyword of the need in the text (up to
three). Tuned on the ORUK development set (need F1 0.48 -> 0.60 against the best cosine alone).
A need is kept when it reaches the embedder's own threshold and ``RELATIVE`` of the best need's
score, or when the text names it in so many words and it still reaches the threshold.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np

from helpmate.assistant.reading import Phrase, Reader, Reading
from helpmate.knowledge.records import Need

RELATIVE = 0.85
MAX_NEEDS = 4
KEYWORD_BONUS = 0.06
SEARCH_WEIGHT = 0.3
TOP_EXAMPLES = 3
MATTERS_SLACK = 0.1
"""How much closer than the need threshold a thing that matters must be to a need found."""
ALERT_EVIDENCE = "safeguarding alert"


@dataclass
class NeedScore:
    need: Need
    score: float
    evidence: list[str] = field(default_factory=list)
    clause: str = ""
    """The phrase of what was said that raised this need (quoted in reasons): of the phrases that
    name the need in so many words, the closest to it; else the closest of all."""
    row: int = -1
    """Where that phrase is among the texts embedded for the situation (-1: none)."""
    urgent: bool = False
    """Tied to a safeguarding alert raised in the conversation."""
    matters: bool = False
    """What matters to the person speaks of this need."""


def calibrate(embedder: object, need_vectors: dict[str, np.ndarray]) -> float:
    """The need threshold for this embedder: its own calibration when it has one (MiniLM 0.45,
    chosen on the ORUK development set), else one read off the taxonomy's examples: the score
    that the same share of examples reaches against their own need as 0.45 does with MiniLM."""
    own = getattr(embedder, "need_threshold", None)
    if own is not None:
        return float(own)
    examples, owners = need_vectors["example_vecs"], need_vectors["example_need"]
    sims = examples @ examples.T
    np.fill_diagonal(sims, -1.0)
    scores = []
    for row, need in enumerate(owners):
        mine = np.sort(sims[row, owners == need])[-TOP_EXAMPLES:]
        scores.append(
            float(mine.mean()) + SEARCH_WEIGHT * float(examples[row] @ need_vectors["search_vecs"][need])
        )
    return float(np.quantile(scores, CALIBRATION_QUANTILE))


CALIBRATION_QUANTILE = 0.1
"""The share of the taxonomy's examples that score below the threshold against their own need
(measured with MiniLM, whose threshold 0.45 was chosen on the development set)."""


class NeedDetector:
    """Needs from a reading and its embeddings, against the taxonomy's embedded examples."""

    def __init__(self, reader: Reader, need_vectors: dict[str, np.ndarray], threshold: float) -> None:
        self.reader = reader
        self.needs: list[Need] = list(reader.needs)
        self.column = {n.id: i for i, n in enumerate(self.needs)}
        self.threshold = threshold
        self._example_vecs = need_vectors["example_vecs"]
        self._example_need = need_vectors["example_need"]
        self._search_vecs = need_vectors["search_vecs"]
        self._keywords = [words for _, words in reader._keywords]

    def detect(
        self,
        reading: Reading,
        vectors: np.ndarray,
        phrases: Sequence[Phrase] = (),
        discounts: Sequence[Collection[str]] | None = None,
        cap: int = MAX_NEEDS,
    ) -> list[NeedScore]:
        """Needs in a reading. ``vectors`` are the whole text's, then each phrase's (``phrases``);
        ``discounts`` the needs each phrase must not raise (``Reader.over``)."""
        discounts = discounts if discounts is not None else [set() for _ in phrases]
        texts = [reading.text, *(p.text for p in phrases)]
        sims = vectors @ self._example_vecs.T  # (texts, examples)
        search = vectors @ self._search_vecs.T  # (texts, needs)
        all_tokens = " " + " ".join(reading.tokens) + " "
        # The needs each phrase names, read once (per need and phrase it cost 200 ms a message).
        phrase_names = [self.reader.named(p.tokens) for p in phrases]
        scored = []
        for i, need in enumerate(self.needs):
            if any(need.id in d for d in discounts):
                # Only the phrases that do not put this need in the past or turn it down count.
                rows = [r + 1 for r, d in enumerate(discounts) if need.id not in d]
                tokens = " " + " ".join(t for r in rows for t in phrases[r - 1].tokens) + " "
            else:
                rows, tokens = list(range(len(texts))), all_tokens
            if not rows:
                continue
            columns = np.flatnonzero(self._example_need == i)
            best = sims[np.ix_(np.array(rows, dtype=np.intp), columns)].max(axis=0)
            score = float(np.sort(best)[-TOP_EXAMPLES:].mean()) + SEARCH_WEIGHT * float(search[rows, i].max())
            hits = list(dict.fromkeys(k.strip() for k in self._keywords[i] if k in tokens))
            score += KEYWORD_BONUS * min(len(hits), 3)
            phrase_rows = [r for r in rows if r > 0] or rows
            naming = [r for r in phrase_rows if r > 0 and need.id in phrase_names[r - 1]]
            candidates = np.array(naming or phrase_rows, dtype=np.intp)
            top = int(candidates[int(np.argmax(sims[np.ix_(candidates, columns)].max(axis=1)))])
            scored.append(NeedScore(need, score, hits, texts[top], top))
        scored.sort(key=lambda n: -n.score)
        if not scored or scored[0].score < self.threshold:
            return []
        floor = max(self.threshold, scored[0].score * RELATIVE)
        kept = [n for n in scored if n.score >= floor or (n.evidence and n.score >= self.threshold)]
        return kept[:cap]

    def matters(self, matter_vecs: np.ndarray, among: Collection[str]) -> set[str]:
        """The needs (of those found, ``among``) that what matters to the person speaks of: for each
        thing that matters, the closest of them, if close enough (a looser bar than for finding a
        need, as it only orders needs already found)."""
        found: set[str] = set()
        columns = [i for i, n in enumerate(self.needs) if n.id in among]
        for vec in matter_vecs:
            sims = vec @ self._example_vecs.T
            scores = {
                i: float(np.sort(sims[self._example_need == i])[-TOP_EXAMPLES:].mean()) for i in columns
            }
            best = max(scores, key=lambda i: scores[i], default=None)
            if best is not None and scores[best] >= self.threshold - MATTERS_SLACK:
                found.add(self.needs[best].id)
        return found

    def added(
        self, need_ids: Sequence[str], found: list[NeedScore], why: str = "added by the worker"
    ) -> list[NeedScore]:
        """Needs that the worker added or an alert brought, scored as the strongest need found."""
        have = {n.need.id for n in found}
        score = max((n.score for n in found), default=1.0)
        return [
            NeedScore(self.needs[self.column[nid]], score, [why], "")
            for nid in dict.fromkeys(need_ids)
            if nid in self.column and nid not in have
        ]


def order_needs(
    needs: list[NeedScore], alert_needs: Collection[str], matters: Collection[str]
) -> list[NeedScore]:
    """Needs tied to a safeguarding alert first, then urgent needs (crisis, no food, no home:
    urgency 1 in the taxonomy), then what matters to the person, then the rest by urgency, then
    by how strongly the situation points at them."""
    for n in needs:
        n.urgent = n.need.id in alert_needs
        n.matters = n.need.id in matters
    return sorted(
        needs, key=lambda n: (not n.urgent, n.need.urgency != 1, not n.matters, n.need.urgency, -n.score)
    )
