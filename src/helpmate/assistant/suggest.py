"""From a description of a person to suggestions: needs, then standard and community help per need.

This is the contract the chat, the evaluations and scripts share (``helpmate suggest``):

``{"needs": [{id, label, score}], "safeguarding": [...], "services": [{id, name, score, need, why}],
"community": [...], "questions": [...]}``

How it works: the situation and each of its clauses are embedded in one batch; needs are the
taxonomy entries whose worker-language examples lie closest (plus a keyword bonus). Each need
found then steers the ranking by its description in
directory language. Records are then scored per track by ``Index.rank``: closeness to the
situation, fit to each need (closeness to the need's description and the record's need tags),
and the situation's keywords.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from helpmate.assistant.facts import find_age, find_area
from helpmate.assistant.safeguarding import Routes
from helpmate.index.embedders import Embedder
from helpmate.index.search import Filters, Hit, Index
from helpmate.index.text import tokenize
from helpmate.knowledge.records import Need
from helpmate.knowledge.text import one_line

# Need detection, tuned on the ORUK development set (need F1 0.48 -> 0.60 against max-cosine alone):
# score = mean of the need's 3 closest examples (each at its best clause)
#         + SEARCH_WEIGHT * cosine to the need's directory-language description
#         + KEYWORD_BONUS per keyword of the need in the text (up to 3).
# A need is kept when it reaches the embedder's threshold and RELATIVE of the best need's score.
THRESHOLDS = {"all-MiniLM-L6-v2": 0.45, "hashing-384": 0.12}
RELATIVE = 0.85
MAX_NEEDS = 4
KEYWORD_BONUS = 0.06
SEARCH_WEIGHT = 0.3
TOP_EXAMPLES = 3
MAX_TEXT = 4000
_SPLIT = re.compile(r"(?<=[.!?;,])\s+|\s+-\s+|\s+(?=(?:and|but|since|because)\s)")


@dataclass
class NeedScore:
    need: Need
    score: float
    evidence: list[str] = field(default_factory=list)


@dataclass
class Suggestion:
    needs: list[NeedScore]
    services: list[Hit]
    community: list[Hit]
    questions: list[str]
    area: str | None
    age: int | None
    safeguarding: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "needs": [
                {"id": n.need.id, "label": n.need.label, "score": round(n.score, 3)} for n in self.needs
            ],
            "safeguarding": self.safeguarding,
            "services": [self._item(h) for h in self.services],
            "community": [self._item(h) for h in self.community],
            "questions": self.questions,
        }

    def _item(self, hit: Hit) -> dict[str, Any]:
        return {
            "id": hit.record.id,
            "name": hit.record.name,
            "score": round(hit.score, 4),
            "need": hit.tag,
            "why": self.why(hit),
        }

    def why(self, hit: Hit) -> str:
        need = next((n.need for n in self.needs if n.need.id == hit.tag), None)
        offer = one_line(hit.record.description or hit.record.name, 140)
        if need is None:
            return f"Close to what you described: {offer}"
        return f"For {need.label[0].lower() + need.label[1:]}: {offer}"


def segments(text: str) -> list[str]:
    parts = [p.strip(" ,.;") for p in _SPLIT.split(text) if p and len(p.split()) >= 2]
    return parts[:8] if len(parts) > 1 else []


class Suggester:
    def __init__(self, index: Index, embedder: Embedder, routes: Routes | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.routes = routes or Routes(None)
        slugs = {a.slug for a in index.areas} | {s for r in index.records for s in r.areas}
        self.only_area = next(iter(slugs)) if len(slugs) == 1 else None
        self.needs = index.needs
        self.threshold = THRESHOLDS.get(embedder.name, 0.3)
        self._example_vecs = index.need_vectors["example_vecs"]
        self._example_need = index.need_vectors["example_need"]
        self._search_vecs = index.need_vectors["search_vecs"]
        self._keywords = [
            [" " + " ".join(tokenize(k)) + " " for k in need.keywords if tokenize(k)] for need in self.needs
        ]

    # ------------------------------------------------------------------ needs

    def detect_needs(self, text: str, vectors: np.ndarray) -> list[NeedScore]:
        best_per_example = (vectors @ self._example_vecs.T).max(axis=0)  # each example at its best clause
        per_need = np.array(
            [
                np.sort(best_per_example[self._example_need == i])[-TOP_EXAMPLES:].mean()
                for i in range(len(self.needs))
            ]
        )
        per_need += SEARCH_WEIGHT * (vectors @ self._search_vecs.T).max(axis=0)
        tokens = " " + " ".join(tokenize(text)) + " "
        scored = []
        for i, need in enumerate(self.needs):
            hits = list(dict.fromkeys(k.strip() for k in self._keywords[i] if k in tokens))
            score = float(per_need[i]) + KEYWORD_BONUS * min(len(hits), 3)
            scored.append(NeedScore(need, score, hits))
        scored.sort(key=lambda n: -n.score)
        if not scored or scored[0].score < self.threshold:
            return []
        floor = max(self.threshold, scored[0].score * RELATIVE)
        # A need is kept when it is close to the strongest one, or when the text names it in so many
        # words (a keyword) and it still reaches the threshold.
        kept = [n for n in scored if n.score >= floor or (n.evidence and n.score >= self.threshold)]
        return kept[:MAX_NEEDS]

    # ------------------------------------------------------------------ suggest

    def suggest(
        self,
        text: str,
        *,
        area: str | None = None,
        limit: int = 5,
        audience: str | None = None,
        age: int | None = None,
        exclude_needs: set[str] | None = None,
    ) -> Suggestion:
        text = " ".join(text.split())[:MAX_TEXT]
        area = area or find_area(text, self.index.areas) or self.only_area
        # Safeguarding first, before anything else can fail or take time.
        alerts = [a.to_json() for a in self.routes.alerts(text, area)]
        age = age if age is not None else find_age(text)
        if not text:
            return Suggestion([], [], [], self.questions([], None, area, text), area, age, alerts)
        texts = [text, *segments(text)]
        vectors = self.embedder.embed(texts)
        needs = [n for n in self.detect_needs(text, vectors) if n.need.id not in (exclude_needs or set())]
        index_of = {n.id: i for i, n in enumerate(self.needs)}
        top = needs[0].score if needs else 1.0
        weighted = [(index_of[n.need.id], n.need.id, n.score / top) for n in needs]
        filters = Filters(area=area, audience=audience, age=age)
        terms = tokenize(text)
        results = {
            track: self.index.rank(vectors[0], terms, weighted, track=track, filters=filters, limit=limit)
            for track in ("service", "community")
        }
        return Suggestion(
            needs,
            results["service"],
            results["community"],
            self.questions(needs, age, area, text),
            area,
            age,
            alerts,
        )

    def questions(self, needs: list[NeedScore], age: int | None, area: str | None, text: str) -> list[str]:
        asked = []
        if not needs:
            asked.append("What is worrying them most at the moment, and what would they like to change?")
        if age is None:
            asked.append("Roughly how old are they?")
        interests = {
            "creative-arts",
            "making-fixing",
            "nature-gardening",
            "physical-activity",
            "volunteering",
            "faith-culture",
            "learning-skills",
        }
        if not any(n.need.id in interests for n in needs):
            asked.append("What do they enjoy, or used to enjoy, doing? Who or what matters most to them?")
        if area is None and len({a.slug for a in self.index.areas}) > 1:
            asked.append("Which area do they live in (town or postcode)?")
        return asked[:3]
