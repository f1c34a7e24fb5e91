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
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from helpmate.assistant.facts import Profile, find_age, find_area, read_profile
from helpmate.assistant.safeguarding import Routes
from helpmate.index.embedders import Embedder
from helpmate.index.search import Filters, Hit, Index
from helpmate.index.text import tokenize
from helpmate.knowledge.records import Need, Record
from helpmate.knowledge.text import looks_like_instructions, one_line

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
# The plan per need: up to this many records per track beyond those in the flat lists.
PER_NEED = 2
# How far the person's strengths and interests pull the community query towards them (dev 0.564 -> 0.564,
# community 0.581 -> 0.582; sample 0.651 -> 0.656; a worker's edit of the strengths steers it too).
INTEREST_WEIGHT = 1.0
# How much closer than the need threshold a thing that matters must be to a need found.
MATTERS_SLACK = 0.1
ALERT_EVIDENCE = "safeguarding alert"
# Needs that a safeguarding alert puts first in the plan; the first of each is added to the plan
# when the words alone did not raise it (an alert always brings its help with it).
ALERT_NEEDS = {
    "suicide-self-harm": ("suicide-crisis", "mental-health"),
    "domestic-abuse": ("domestic-abuse",),
    "child-at-risk": ("parenting", "young-people", "family-relationships"),
    "adult-at-risk": ("social-care", "dementia", "legal-rights"),
    "immediate-danger": (),
}
_LEADING_JOIN = re.compile(r"^(?:and|but|since|because|so)\s+", re.I)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+")
_CLAUSE = re.compile(r"(?<=,)\s+|\s+-\s+|\s+(?=(?:and|but|since|because)\s)")


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


# A recovery the worker states plainly ends that problem in its own sentence, unless the sentence
# also speaks of a relapse or a new habit ("stopped drinking in January but now he's using cocaine").
# Only plain wording counts: "stopped using the heating", "off the drugs the GP gave him" or "dry
# since they fixed the leak" are not recoveries, and "no longer" is not one either ("he can no
# longer cook for himself" is a new problem).
_DURATION = (
    r"(?:(?:over|nearly|almost|about|more\s+than)\s+)?(?:\d+|a|an|one|two|three|four|five|six|seven|eight|"
    r"nine|ten|eleven|twelve|fifteen|twenty|thirty|several|many|a\s+few|a\s+couple\s+of)\s+(?:years?|months?|weeks?)"
)
_RECOVERED = (
    (
        "substance-use",
        re.compile(
            rf"\b(?:(?:clean|sober|dry)\s+for\s+{_DURATION}|off\s+the\s+(?:drink|booze|bottle)|stopped\s+drinking|"
            rf"(?:hasn't|has\s+not|hadn't|had\s+not)\s+(?:had\s+a\s+drink|touched\s+a\s+drop)|"
            rf"in\s+recovery(?:\s+from\s+(?:\w+\s+){{0,4}}?(?:addiction|alcoholism|drink|alcohol|drugs|heroin|"
            rf"crack|cocaine|opiates|spice))?\s+for\s+{_DURATION})",
            re.I,
        ),
    ),
    (
        "gambling",
        re.compile(
            r"\b(?:(?:stopped|quit|given\s+up)\s+(?:gambling|betting)|(?:hasn't|has\s+not)\s+had\s+a\s+bet)",
            re.I,
        ),
    ),
)
_RELAPSE = re.compile(
    r"\b(?:relaps\w*|lapsed?|back\s+on|fallen\s+off|again|heavily|started\s+(?:drinking|using|gambling|betting|taking)|"
    r"but\s+now|now\s+(?:he|she|they)?\s*(?:'s|is|are)?\s*(?:using|drinking|gambling|betting|taking|playing|plays))",
    re.I,
)
# Someone using now ("but his son is using crack", "her husband drinks every night"): such a
# clause keeps the problem whatever recovery its sentence speaks of. Not "he never drinks now", nor
# "hot drinks".
_IN_USE = re.compile(
    r"\b(?:(?:is|are|'s|'re|still|keeps?)\s+(?:using|drinking|gambling|betting)|"
    r"(?:he|she|they|son|daughter|husband|wife|partner|dad|mum|father|mother|brother|sister)\s+"
    r"(?:drinks|uses|gambles|bets|takes\s+(?:drugs|crack|heroin|cocaine)|smokes\s+(?:crack|weed|spice)))\b",
    re.I,
)
_NOT_IN_USE = re.compile(
    r"(?:\b(?:never|no\s+longer|not|hardly|rarely|barely)|n't)\s+(?:\w+\s+)?(?:drink|us|gambl|bet)", re.I
)
# Turning down company: "she is not lonely", "please don't send her to a coffee morning". Only
# loneliness is ended this way: turning down one service ("don't send him to the hostel again")
# never ends the need behind it.
_NOT_LONELY = re.compile(
    r"\b(?:(?:isn't|is\s+not|'s\s+not|'m\s+not|am\s+not|not|never)\s+(?:lonely|isolated)|"
    r"(?:doesn't|does\s+not|don't|do\s+not)\s+feel\s+(?:lonely|isolated)|"
    r"(?:don't|do\s+not|doesn't|does\s+not|won't|wouldn't)\s+(?:send\s+(?:her|him|them)\s+to|want|need)\s+"
    r"(?:to\s+go\s+to\s+)?(?:a\s+|any\s+)?(?:coffee\s+mornings?|lunch\s+clubs?|befriend\w*|social\s+groups?|day\s+centres?))",
    re.I,
)
# Having moved on from a loss: "lost her husband twelve years ago. She has made her peace with it and
# is not looking for that kind of support" ends bereavement, when this or the sentence before
# speaks of the loss ("made his peace with it" about his own illness ends nothing).
_MOVED_ON = re.compile(
    r"\b(?:made\s+(?:her|his|their|my)\s+peace\s+with\s+it|"
    r"(?:not\s+looking\s+for|(?:doesn't|does\s+not|don't|do\s+not)\s+want)\s+(?:that|this|any)\s+(?:kind|sort)\s+of\s+(?:support|help))",
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
    urgent: bool = False
    """Tied to a safeguarding alert raised in the conversation."""
    matters: bool = False
    """What matters to the person speaks of this need."""


@dataclass
class NeedGroup:
    """One need in the plan, with the standard services and community resources chosen for it."""

    need_id: str | None
    label: str
    services: list[Hit] = field(default_factory=list)
    community: list[Hit] = field(default_factory=list)
    urgent: bool = False
    matters: bool = False


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
    profile: Profile = field(default_factory=Profile)
    groups: list[NeedGroup] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "needs": [
                {"id": n.need.id, "label": n.need.label, "score": round(n.score, 3)} for n in self.needs
            ],
            "safeguarding": self.safeguarding,
            "services": [self._item(h) for h in self.services],
            "community": [self._item(h) for h in self.community],
            "questions": self.questions,
            "situation": {
                "what_matters": self.profile.what_matters,
                "strengths": self.profile.strengths,
                "facts": self.profile.facts,
                "unknown": self.profile.unknown(),
            },
            "plan": [
                {
                    "need": g.need_id,
                    "label": g.label,
                    "urgent": g.urgent,
                    "matters": g.matters,
                    "services": [self._item(h) for h in g.services],
                    "community": [self._item(h) for h in g.community],
                }
                for g in self.groups
            ],
        }

    def _item(self, hit: Hit) -> dict[str, Any]:
        return {
            "id": hit.record.id,
            "name": hit.record.name,
            "score": round(hit.score, 4),
            "need": hit.tag,
            "why": self.why(hit),
        }

    def said(self, need_id: str | None) -> str:
        """The words that point at this need, when they add something to the whole text."""
        found = next((n for n in self.needs if n.need.id == need_id), None)
        said = _LEADING_JOIN.sub("", found.clause.strip().rstrip(".")) if found else ""
        return said if said.lower() != self.text.lower() else ""

    def why(self, hit: Hit) -> str:
        """A short reason: what the person said that this meets, then what the record offers."""
        found = next((n for n in self.needs if n.need.id == hit.tag), None)
        what = offer(hit.record, 140)
        if what == NOT_QUOTED:
            what = f"{hit.record.name} {NOT_QUOTED}"
        if found is None:
            return f"Close to what you described: {what}"
        said = self.said(found.need.id)
        if said and len(said) <= 90:
            return f"“{said}”: {what}"
        return f"For {found.need.label[0].lower() + found.need.label[1:]}: {what}"


NOT_QUOTED = "(its description holds instructions, so it is not quoted: check the record)"


def offer(record: Record, limit: int) -> str:
    """What a record offers, in one short line (never text that instructs the assistant)."""
    if looks_like_instructions(record.description):
        return NOT_QUOTED
    return one_line(record.description or record.name, limit)


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if s.strip()]


def clauses_of(text: str) -> list[tuple[int, str]]:
    """The clauses of a text (the last eight), each with the number of its sentence; none for a
    text of one clause."""
    parts = [
        (n, p.strip(" ,.;"))
        for n, sentence in enumerate(sentences(text))
        for p in _CLAUSE.split(sentence)
        if p
    ]
    parts = [(n, p) for n, p in parts if len(p.split()) >= 2]
    return parts[-8:] if len(parts) > 1 else []


class Suggester:
    def __init__(self, index: Index, embedder: Embedder, routes: Routes | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.routes = routes or Routes(None)
        slugs = {a.slug for a in index.areas} | {s for r in index.records for s in r.areas}
        self.only_area = next(iter(slugs)) if len(slugs) == 1 else None
        self.needs = index.needs
        self._column = {n.id: i for i, n in enumerate(self.needs)}
        self.threshold = THRESHOLDS.get(embedder.name, 0.3)
        self._example_vecs = index.need_vectors["example_vecs"]
        self._example_need = index.need_vectors["example_need"]
        self._search_vecs = index.need_vectors["search_vecs"]
        self._keywords = [
            [" " + " ".join(tokenize(k)) + " " for k in need.keywords if tokenize(k)] for need in self.needs
        ]

    def named(self, text: str, among: Collection[str] | None = None) -> set[str]:
        """The needs whose keywords the text uses (of ``among``, when given)."""
        tokens = " " + " ".join(tokenize(text)) + " "
        return {
            need.id
            for need, words in zip(self.needs, self._keywords, strict=True)
            if (among is None or need.id in among) and any(k in tokens for k in words)
        }

    def discounts(self, text: str, clauses: list[tuple[int, str]]) -> list[set[str]]:
        """For each clause, the needs it must not raise: problems it puts in the past or denies
        ("she used to drink"); a problem the person has plainly recovered from, in that sentence
        ("used heroin for years but he's been clean for six years now"), unless a clause speaks of
        someone using now ("but his son is using crack"); loneliness when they say they are not
        lonely or turn down company; bereavement when they have made their peace with an old loss. A clause that speaks only of the old matter raises no other problem either and
        leaves the query; a clause that also names a live problem keeps it ("clean for two years,
        but the drugs left him with debts and no home" keeps the debts and the home)."""
        text = text.replace("’", "'")
        said = sentences(text)
        recovered: dict[int, set[str]] = {}  # sentence -> the problems it says are over
        ended = {"loneliness"} if _NOT_LONELY.search(text) else set()
        for n, sentence in enumerate(said):
            if not _RELAPSE.search(sentence):
                recovered[n] = {need for need, pattern in _RECOVERED if pattern.search(sentence)}
            if _MOVED_ON.search(sentence) and "bereavement" in self.named(
                " ".join(said[max(0, n - 1) : n + 1])
            ):
                ended.add("bereavement")
        result = []
        for n, clause in clauses:
            clause = clause.replace("’", "'")
            over = recovered.get(n, set()) | ended
            if _IN_USE.search(clause) and not _NOT_IN_USE.search(clause):
                over -= {"substance-use", "gambling"}
            out = set(over)
            named = self.named(clause)
            about_old_matter = (
                # Past or denied ("she used to drink", "no debts"); "he used to box" names no problem.
                (past_or_denied(clause) and named & PROBLEM_NEEDS)
                or any(pattern.search(clause) for _, pattern in _RECOVERED)
                or _NOT_LONELY.search(clause) is not None
                or _MOVED_ON.search(clause) is not None
                or (named & over and not named & PROBLEM_NEEDS - over)
            )
            if about_old_matter:
                out |= PROBLEM_NEEDS
            result.append(out)
        return result

    # ------------------------------------------------------------------ needs

    def detect_needs(
        self,
        text: str,
        vectors: np.ndarray,
        clauses: list[str] | None = None,
        cap: int = MAX_NEEDS,
        discounts: list[set[str]] | None = None,
    ) -> list[NeedScore]:
        """Needs in a text. ``vectors`` are the text's then each clause's (``clauses``) embeddings;
        ``discounts`` the needs each clause must not raise (``Suggester.discounts``)."""
        clauses = clauses or []
        discounts = discounts if discounts is not None else [set() for _ in clauses]
        texts = [text, *clauses]
        sims = vectors @ self._example_vecs.T  # (texts, examples)
        search = vectors @ self._search_vecs.T  # (texts, needs)
        all_tokens = " " + " ".join(tokenize(text)) + " "
        scored = []
        for i, need in enumerate(self.needs):
            if any(need.id in d for d in discounts):
                # Only the clauses that do not put this need in the past or turn it down count.
                rows = [r + 1 for r, d in enumerate(discounts) if need.id not in d]
                tokens = " " + " ".join(tokenize(" ".join(texts[r] for r in rows))) + " "
            else:
                rows, tokens = list(range(len(texts))), all_tokens
            if not rows:
                continue
            columns = self._example_need == i
            best = sims[np.ix_(np.array(rows, dtype=np.intp), np.flatnonzero(columns))].max(axis=0)
            score = float(np.sort(best)[-TOP_EXAMPLES:].mean()) + SEARCH_WEIGHT * float(search[rows, i].max())
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
        return kept[:cap]

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
        add_needs: Sequence[str] = (),
        exclude_records: Collection[str] = (),
        pinned: Sequence[str] = (),
        profile: Profile | None = None,
        alerts: list[dict[str, Any]] | None = None,
    ) -> Suggestion:
        """Needs, then the best standard and community help: a flat best-first list per track (the
        ``helpmate suggest`` contract) and the plan grouped per need (``Suggestion.groups``).

        ``profile`` is what the worker confirmed about the person (read from the text when None);
        its strengths and interests steer the community track and what matters orders the needs.
        ``add_needs`` are needs the worker added by hand, ``exclude_records`` the suggestions they
        dismissed, ``pinned`` the ones they keep in the plan whatever else changes.
        """
        # The newest words count most: a long conversation keeps its latest part.
        text = " ".join(text.split())[-MAX_TEXT:]
        area = area or find_area(text, self.index.areas) or self.only_area
        # Safeguarding first, before anything else can fail or take time.
        if alerts is None:
            alerts = [a.to_json() for a in self.routes.alerts(text, area)]
        age = age if age is not None else find_age(text)
        profile = profile or read_profile(text)
        if not text and not add_needs and not pinned:
            return Suggestion([], [], [], self.questions([], None, area, text), area, age, alerts, text)
        parts = clauses_of(text)
        clauses = [c for _, c in parts]
        discounts = self.discounts(text, parts)
        # Clauses about an old or turned-down matter (every problem discounted there) leave the query.
        kept = [c for c, d in zip(clauses, discounts, strict=True) if not d >= PROBLEM_NEEDS]
        # Search for what is true now: past or denied problems stay out of the query.
        current = " ".join(kept) if clauses and len(kept) < len(clauses) else ""
        interests = profile.strengths[:6]
        matters = profile.what_matters[:4]
        batch = [text or " ", *clauses, *([current] if current else []), *interests, *matters]
        unique = list(dict.fromkeys(batch))  # an interest is often a clause already: embed it once
        embedded = self.embedder.embed(unique)
        vectors = embedded[[unique.index(t) for t in batch]]
        n_text = len(clauses) + 1
        interest_vecs = vectors[n_text + bool(current) : n_text + bool(current) + len(interests)]
        matter_vecs = vectors[len(batch) - len(matters) :] if matters else vectors[:0]
        excluded = exclude_needs or set()
        found = [
            n
            for n in self.detect_needs(text, vectors[:n_text], clauses, MAX_NEEDS + 2, discounts)
            if n.need.id not in excluded
        ]
        # What matters to the person keeps its need in the plan even when it is not among the
        # strongest: it takes the place of the weakest need that does not matter to them.
        mattering = self.matters_needs(matter_vecs, {n.need.id for n in found} | set(add_needs))
        needs = found[:MAX_NEEDS]
        for extra in found[MAX_NEEDS:]:
            if extra.need.id in mattering:
                weakest = next((n for n in reversed(needs) if n.need.id not in mattering), None)
                if weakest is not None:
                    needs[needs.index(weakest)] = extra
        if not text:
            needs = []
        from_alerts = [
            ALERT_NEEDS[a["category"]][0] for a in alerts if ALERT_NEEDS.get(a.get("category", ""))
        ]
        # An alert always brings its help, whatever the worker corrected earlier.
        needs += self._worker_needs(from_alerts, needs, ALERT_EVIDENCE)
        needs += self._worker_needs(add_needs, needs)
        query = vectors[n_text] if current else vectors[0]
        terms = tokenize(current or text)
        top = max((n.score for n in needs), default=1.0) or 1.0
        # Needs that only an alert brought are planned on their own (in ``groups``): the alert's
        # route leads the reply, and the rest of the ranking stays on what was said.
        weighted = [
            (self._column[n.need.id], n.need.id, n.score / top)
            for n in needs
            if n.evidence != [ALERT_EVIDENCE]
        ]
        # The age filter is for the person; with children or other family in the picture, help for them
        # (a young carers' service, a youth club) must stay in reach.
        family = _FAMILY.search(text.lower()) is not None
        filters = Filters(
            area=area,
            audience=audience,
            age=None if family else age,
            localities=self.index.gazetteer.named(text, area, residence=True),
        )
        # Interests and strengths pull the community track towards what the person enjoys.
        community_query = query
        if len(interest_vecs):
            community_query = query + INTEREST_WEIGHT * interest_vecs.mean(axis=0)
            community_query = community_query / (np.linalg.norm(community_query) or 1.0)
        skip = set(exclude_records)
        pool = limit + PER_NEED * len(needs) + len(skip)
        results = {
            track: [
                h
                for h in self.index.rank(q, terms, weighted, track=track, filters=filters, limit=pool)
                if h.record.id not in skip
            ]
            for track, q in (("service", query), ("community", community_query))
        }
        ordered = self.order_needs(needs, alerts, mattering)
        suggestion = Suggestion(
            ordered,
            results["service"][:limit],
            results["community"][:limit],
            self.questions(needs, age, area, text),
            area,
            age,
            alerts,
            text,
            profile=profile,
        )
        suggestion.groups = self._groups(
            suggestion, results, (query, community_query), terms, filters, skip, pinned
        )
        return suggestion

    def _worker_needs(
        self, add_needs: Sequence[str], found: list[NeedScore], why: str = "added by the worker"
    ) -> list[NeedScore]:
        """Needs that the worker added or an alert brought, scored as the strongest need found."""
        have = {n.need.id for n in found}
        score = max((n.score for n in found), default=1.0)
        return [
            NeedScore(self.needs[self._column[nid]], score, [why], "")
            for nid in dict.fromkeys(add_needs)
            if nid in self._column and nid not in have
        ]

    def order_needs(
        self, needs: list[NeedScore], alerts: list[dict[str, Any]], matters: set[str]
    ) -> list[NeedScore]:
        """Needs tied to a safeguarding alert first, then urgent needs (crisis, no food, no home:
        urgency 1 in the taxonomy), then what matters to the person, then the rest by urgency,
        then by how strongly the situation points at them."""
        alert_needs = {nid for a in alerts for nid in ALERT_NEEDS.get(a.get("category", ""), ())}
        for n in needs:
            n.urgent = n.need.id in alert_needs
            n.matters = n.need.id in matters
        return sorted(
            needs, key=lambda n: (not n.urgent, n.need.urgency != 1, not n.matters, n.need.urgency, -n.score)
        )

    def matters_needs(self, matter_vecs: np.ndarray, among: Collection[str]) -> set[str]:
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

    def _groups(
        self,
        suggestion: Suggestion,
        results: dict[str, list[Hit]],
        queries: tuple[np.ndarray, np.ndarray],
        terms: list[str],
        filters: Filters,
        skip: set[str],
        pinned: Sequence[str],
    ) -> list[NeedGroup]:
        """The plan per need, in the needs' order: the records ranked for that need (those shown in
        the flat lists first, then up to PER_NEED), none repeated across needs; what is close to the
        situation but fits no need found goes last."""
        used: set[str] = set(skip)
        shown = {h.record.id for h in suggestion.services + suggestion.community}
        groups = []
        for n in suggestion.needs:
            group = NeedGroup(n.need.id, n.need.label, urgent=n.urgent, matters=n.matters)
            # For urgent needs (crisis, no food, no home) only records tagged with the need:
            # a death cafe may read close to suicidal thoughts, but it is not crisis help.
            strict = n.need.urgency == 1

            def fits(h: Hit, need_id: str = n.need.id, strict: bool = strict) -> bool:
                return (
                    h.tag == need_id
                    and h.record.id not in used
                    and (not strict or need_id in h.record.all_needs())
                )

            for track, query, out in (
                ("service", queries[0], group.services),
                ("community", queries[1], group.community),
            ):
                mine = [h for h in results[track] if fits(h)]
                picks = [h for h in mine if h.record.id in shown]
                picks += [h for h in mine if h.record.id not in shown][: max(0, PER_NEED - len(picks))]
                if not picks:
                    # Nothing ranked high enough overall: search for this need on its own.
                    own = self.index.rank(
                        query,
                        terms,
                        [(self._column[n.need.id], n.need.id, 1.0)],
                        track=track,
                        filters=filters,
                        limit=PER_NEED + len(used),
                    )
                    picks = [h for h in own if fits(h)][:PER_NEED]
                out.extend(picks)
                used.update(h.record.id for h in picks)
            groups.append(group)
        rest = NeedGroup(None, "Also close to what was said")
        rest.services = [h for h in suggestion.services if h.record.id not in used]
        rest.community = [h for h in suggestion.community if h.record.id not in used]
        used.update(h.record.id for h in rest.services + rest.community)
        by_id = self.index.by_id
        for record_id in pinned:
            record = by_id.get(record_id)
            if record is None or record_id in used:
                continue
            home = next((g for g in groups if g.need_id in record.needs), None)
            hit = Hit(record, 0.0, home.need_id if home else None)
            target = home or rest
            (target.services if record.track == "service" else target.community).append(hit)
            used.add(record_id)
        if rest.services or rest.community:
            groups.append(rest)
        return groups

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
