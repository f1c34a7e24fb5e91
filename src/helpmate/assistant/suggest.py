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


# Needs about interests and strengths: "he used to love camping" still points at them, while
# past or denied problems ("she used to drink", "no debts") do not count as current needs.
INTEREST_NEEDS = frozenset(
    {
        "creative-arts",
        "making-fixing",
        "nature-gardening",
        "physical-activity",
        "volunteering",
        "faith-culture",
        "learning-skills",
    }
)
# Problems that a clause can put in the past or deny; identities and facts (veterans, carers,
# faith, later life) stay true whatever the tense.
PROBLEM_NEEDS = frozenset(
    {
        "substance-use",
        "gambling",
        "domestic-abuse",
        "debt",
        "homelessness",
        "mental-health",
        "suicide-crisis",
        "food",
        "fuel-energy",
        "housing-conditions",
        "money-benefits",
        "physical-health",
        "employment",
    }
)
_PAST_OR_DENIED = re.compile(
    r"\b(?:used\s+to|years\s+ago|in\s+the\s+past|long\s+time\s+ago|previously|back\s+then|as\s+a\s+(?:teenager|child|kid)|"
    r"sober\s+for|clean\s+for|no\s+longer|not\s+any\s*more|no\s+(?:problems?|issues?|concerns?|worries)\s+(?:with|about)|"
    r"denies|denied|isn'?t\s+(?:a\s+)?(?:problem|an\s+issue)|has\s+paid\s+off|all\s+sorted)\b",
    re.I,
)


def past_or_denied(clause: str) -> bool:
    return bool(_PAST_OR_DENIED.search(clause.replace("’", "'")))


@dataclass
class NeedScore:
    need: Need
    score: float
    evidence: list[str] = field(default_factory=list)
    clause: str = ""
    """The part of what was said that points at this need most (used in reasons)."""


@dataclass
class Suggestion:
    needs: list[NeedScore]
    services: list[Hit]
    community: list[Hit]
    questions: list[str]
    area: str | None
    age: int | None
    safeguarding: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""

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
        """A short reason: what the person said that this meets, then what the record offers."""
        found = next((n for n in self.needs if n.need.id == hit.tag), None)
        offer = one_line(hit.record.description or hit.record.name, 140)
        if found is None:
            return f"Close to what you described: {offer}"
        said = found.clause.strip().rstrip(".")
        if said and len(said) <= 90 and said.lower() != self.text.lower():
            return f"“{said}”: {offer}"
        return f"For {found.need.label[0].lower() + found.need.label[1:]}: {offer}"


def segments(text: str) -> list[str]:
    parts = [p.strip(" ,.;") for p in _SPLIT.split(text) if p]
    parts = [p for p in parts if len(p.split()) >= 2]
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
        self._problem_keywords = [
            k
            for need, words in zip(self.needs, self._keywords, strict=True)
            if need.id in PROBLEM_NEEDS
            for k in words
        ]

    def discounted(self, clause: str) -> bool:
        """A clause that puts a problem in the past or denies it ("she used to drink", "no debts").

        "He used to box" or "left the Army years ago" are not discounted: no problem is named.
        """
        if not past_or_denied(clause):
            return False
        tokens = " " + " ".join(tokenize(clause)) + " "
        return any(k in tokens for k in self._problem_keywords)

    # ------------------------------------------------------------------ needs

    def detect_needs(
        self, text: str, vectors: np.ndarray, clauses: list[str] | None = None
    ) -> list[NeedScore]:
        """Needs in a text. ``vectors`` are the text's then each clause's (``clauses``) embeddings."""
        clauses = clauses or []
        texts = [text, *clauses]
        past = [False] + [self.discounted(c) for c in clauses]
        current_rows = [i for i, flag in enumerate(past) if not flag and not (i == 0 and any(past))]
        current_text = (
            " ".join(c for c, flag in zip(clauses, past[1:], strict=True) if not flag) if any(past) else text
        )
        sims = vectors @ self._example_vecs.T  # (texts, examples)
        search = vectors @ self._search_vecs.T  # (texts, needs)
        all_tokens = " " + " ".join(tokenize(text)) + " "
        current_tokens = " " + " ".join(tokenize(current_text)) + " "
        scored = []
        for i, need in enumerate(self.needs):
            rows = current_rows if need.id in PROBLEM_NEEDS and any(past) else list(range(len(texts)))
            if not rows:
                continue
            columns = self._example_need == i
            best = sims[np.ix_(np.array(rows, dtype=np.intp), np.flatnonzero(columns))].max(axis=0)
            score = float(np.sort(best)[-TOP_EXAMPLES:].mean()) + SEARCH_WEIGHT * float(search[rows, i].max())
            tokens = current_tokens if need.id in PROBLEM_NEEDS else all_tokens
            hits = list(dict.fromkeys(k.strip() for k in self._keywords[i] if k in tokens))
            score += KEYWORD_BONUS * min(len(hits), 3)
            clause_rows = [r for r in rows if r > 0] or rows
            top_clause = clause_rows[
                int(
                    np.argmax(
                        sims[np.ix_(np.array(clause_rows, dtype=np.intp), np.flatnonzero(columns))].max(
                            axis=1
                        )
                    )
                )
            ]
            scored.append(NeedScore(need, score, hits, texts[top_clause]))
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
            return Suggestion([], [], [], self.questions([], None, area, text), area, age, alerts, text)
        clauses = segments(text)
        kept = [c for c in clauses if not self.discounted(c)]
        # Search for what is true now: past or denied problems stay out of the query.
        current = " ".join(kept) if clauses and len(kept) < len(clauses) else ""
        vectors = self.embedder.embed([text, *clauses, *([current] if current else [])])
        needs = [
            n
            for n in self.detect_needs(text, vectors[: len(clauses) + 1], clauses)
            if n.need.id not in (exclude_needs or set())
        ]
        query = vectors[-1] if current else vectors[0]
        terms = tokenize(current or text)
        index_of = {n.id: i for i, n in enumerate(self.needs)}
        top = needs[0].score if needs else 1.0
        weighted = [(index_of[n.need.id], n.need.id, n.score / top) for n in needs]
        # The age filter is for the person; with children or other family in the picture, help for them
        # (a young carers' service, a youth club) must stay in reach.
        family = _FAMILY.search(text.lower()) is not None
        filters = Filters(area=area, audience=audience, age=None if family else age)
        results = {
            track: self.index.rank(query, terms, weighted, track=track, filters=filters, limit=limit)
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
        """Up to three questions that would most change the plan, never one already answered."""
        asked = []
        lowered = text.lower()
        if not needs:
            asked.append("What is worrying them most at the moment, and what would they like to change?")
        if not _MATTERS.search(lowered):
            asked.append("What matters most to them right now?")
        if age is None:
            asked.append("Roughly how old are they?")
        if not any(n.need.id in INTEREST_NEEDS for n in needs) and not _ENJOYS.search(lowered):
            asked.append("What do they enjoy, or used to enjoy, doing? What are they good at?")
        if not _HOUSEHOLD.search(lowered):
            asked.append("Who do they live with, and who is around to help?")
        if area is None and len({a.slug for a in self.index.areas}) > 1:
            asked.append("Which area do they live in (town or postcode)?")
        return asked[:3]


_FAMILY = re.compile(
    r"\b(?:kids?|children|child|son|sons|daughters?|baby|babies|toddler|grand(?:son|daughter|children|kids)|"
    r"teenager|sister|brother|nephew|niece|mum\s+of|dad\s+of|parents?)\b"
)
_MATTERS = re.compile(r"\b(?:matters?|important|wants?\s+to|would\s+(?:like|love)|hopes?|goal|wish(?:es)?)\b")
_ENJOYS = re.compile(
    r"\b(?:loves?|enjoys?|likes?|used\s+to\s+love|good\s+at|lights?\s+up|perked\s+up|interested\s+in|passion)\b"
)
_HOUSEHOLD = re.compile(
    r"\b(?:lives?\s+(?:alone|on\s+(?:his|her|their)\s+own|with)|husband|wife|partner|widow\w*|mum\s+of|dad\s+of|"
    r"kids?|children|son|daughter|family|flatmate|carer|cares\s+for|looks\s+after|single\s+(?:mum|dad|parent)|"
    r"on\s+(?:his|her|their)\s+own|by\s+(?:him|her)self)\b"
)
