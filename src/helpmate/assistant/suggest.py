"""From what is said about a person to suggestions: safeguarding, needs, then help per need.

``Suggester.suggest`` reads the text once (``Reader``), checks safeguarding first, embeds the
situation and its phrases in one batch, finds the needs (``needs.py``), then asks the index for the
best standard services and community resources per track and groups them per need
(``retrieval.py``) into the typed plan (``plan.py``), whose JSON is the ``helpmate suggest``
contract.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np

from helpmate.assistant.needs import (
    ALERT_EVIDENCE,
    MAX_NEEDS,
    NeedDetector,
    NeedScore,
    calibrate,
    order_needs,
)
from helpmate.assistant.plan import Suggestion
from helpmate.assistant.profile import Profile
from helpmate.assistant.reading import Reader, Reading
from helpmate.assistant.retrieval import Person, Query, Retriever
from helpmate.assistant.safeguarding import Alert, Safeguarding
from helpmate.assistant.safeguarding.semantic import SemanticLayer
from helpmate.index.embedders import Embedder
from helpmate.index.search import FIT_FOR_REASON, Filters, Hit, Index
from helpmate.index.semantic import load_classifier, training_settings

MAX_TEXT = 4000
"""A long conversation keeps its latest part: the newest words count most."""
EMBED_CACHE = 512
"""Texts whose embeddings are kept (a conversation's phrases, safeguarding's sentences)."""


class Suggester:
    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        safeguarding: Safeguarding | None = None,
        library_root: Path | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.safeguarding = safeguarding or Safeguarding.load(None)
        slugs = {a.slug for a in index.areas} | {s for r in index.records for s in r.areas}
        self.only_area = next(iter(slugs)) if len(slugs) == 1 else None
        self.needs = index.needs
        self.reader = Reader(index.needs, index.areas, self.safeguarding.lex)
        self.detector = NeedDetector(self.reader, index.need_vectors, calibrate(embedder, index.need_vectors))
        self.retriever = Retriever(index, self.detector.column, library_root)
        self._vectors: dict[str, np.ndarray] = {}
        classifier = load_classifier(index.need_vectors)
        if classifier is not None and self.safeguarding.semantic is None:
            settings = training_settings()
            self.safeguarding.semantic = SemanticLayer(
                classifier,
                self.embed,
                self.safeguarding.lex,
                # An index built before the classifier read words keeps its own, calibrated bar.
                float(
                    settings.get("concern", 0.981)
                    if classifier.vocab
                    else settings.get("concern_vectors_only", 0.95)
                ),
                float(settings.get("check", 0.7)),
            )

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings of the texts, each embedded once: what safeguarding embeds for a message,
        need detection finds here again (a few hundred recent texts are kept)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.embedder.embed(missing), strict=True):
                self._vectors[text] = vector
            while len(self._vectors) > EMBED_CACHE:
                self._vectors.pop(next(iter(self._vectors)))
        if not texts:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.vstack([self._vectors[t] for t in texts])

    def read(self, text: str) -> Reading:
        """The one reading of a text (a message, or a situation given whole)."""
        return self.reader.read(text[-MAX_TEXT * 2 :])

    def suggest(
        self,
        said: str | Reading,
        *,
        area: str | None = None,
        limit: int = 5,
        audience: str | None = None,
        age: int | None = None,
        exclude_needs: Collection[str] = (),
        add_needs: Sequence[str] = (),
        keep_needs: Sequence[str] = (),
        exclude_records: Collection[str] = (),
        pinned: Sequence[str] = (),
        profile: Profile | None = None,
        alerts: list[Alert] | None = None,
    ) -> Suggestion:
        """Needs, then the best standard and community help: a flat best-first list per track (the
        ``helpmate suggest`` contract) and the plan grouped per need (``Suggestion.groups``).

        ``said`` is the text, or its reading (a conversation's, joined from its messages').
        ``profile`` is what the worker confirmed about the person (read from the text when None);
        its strengths and interests steer the community track and what matters orders the needs.
        ``add_needs`` are needs the worker added by hand, ``keep_needs`` needs raised earlier in the
        conversation (they stay unless corrected, or the conversation now says they are over),
        ``exclude_records`` the suggestions they dismissed, ``pinned`` the ones they keep in the plan
        whatever else changes.
        """
        reading = said if isinstance(said, Reading) else self.read(said)
        reading = Reading.join([reading], max_chars=MAX_TEXT)
        text = reading.text
        area = area or reading.area or self.only_area
        # Safeguarding first, before anything else can fail or take time.
        if alerts is None:
            alerts = self.safeguarding.alerts(reading, area)
        age = age if age is not None else reading.age
        profile = profile or reading.profile()
        if not text and not add_needs and not pinned:
            return self._suggestion(reading, [], {}, area, age, alerts, profile, limit, pinned, None)
        phrases = reading.recent_phrases()
        discounts = self.reader.over(reading, phrases)
        problems = self.reader.problems
        # Phrases about an old or turned-down matter (every problem discounted there) leave the query.
        kept = [p for p, d in zip(phrases, discounts, strict=True) if not d >= problems]
        current = " ".join(p.text for p in kept) if phrases and len(kept) < len(phrases) else ""
        interests = profile.strengths[:6]
        matters = profile.what_matters[:4]
        batch = [
            text or " ",
            *(p.text for p in phrases),
            *([current] if current else []),
            *interests,
            *matters,
        ]
        vectors = self.embed(batch)
        n_text = len(phrases) + 1
        interest_vecs = vectors[n_text + bool(current) : n_text + bool(current) + len(interests)]
        matter_vecs = vectors[len(batch) - len(matters) :] if matters else vectors[:0]
        excluded = set(exclude_needs)
        found = [
            n
            for n in self.detector.detect(reading, vectors[:n_text], phrases, discounts, MAX_NEEDS + 2)
            if n.need.id not in excluded
        ]
        # What matters to the person keeps its need in the plan even when it is not among the
        # strongest: it takes the place of the weakest need that does not matter to them.
        mattering = self.detector.matters(matter_vecs, {n.need.id for n in found} | set(add_needs))
        needs = found[:MAX_NEEDS]
        for extra in found[MAX_NEEDS:]:
            if extra.need.id in mattering:
                weakest = next((n for n in reversed(needs) if n.need.id not in mattering), None)
                if weakest is not None:
                    needs[needs.index(weakest)] = extra
        if not text:
            needs = []
        # A need raised earlier in the conversation stays, unless corrected or now said to be over.
        over = {nid for d in discounts for nid in d}
        earlier = [nid for nid in keep_needs if nid not in excluded and nid not in over]
        if earlier and needs:
            floor = min(n.score for n in needs)
            needs += [
                NeedScore(n.need, floor, ["raised earlier"], "")
                for n in self.detector.added(earlier, needs, "raised earlier")
            ]
        # An alert always brings its help, whatever the worker corrected earlier; a "worth asking
        # about" (check) is a question for the worker, not yet a need.
        raised = [a for a in alerts if a.level != "check"]
        brought = [self.safeguarding.needs(a)[0] for a in raised if self.safeguarding.needs(a)]
        needs += self.detector.added(brought, needs, ALERT_EVIDENCE)
        needs += self.detector.added(add_needs, needs)
        top = max((n.score for n in needs), default=1.0) or 1.0
        # The age filter is for the person; with children or other family in the picture, help for
        # them (a young carers' service, a youth club) must stay in reach.
        query_vector = vectors[n_text] if current else vectors[0]
        query = Query(
            query_vector,
            Query.toward(query_vector, interest_vecs),
            [t for p in kept for t in p.tokens] if current else reading.tokens,
            # Needs that only an alert brought are planned on their own (in the groups): the alert's
            # route leads the reply, and the rest of the ranking stays on what was said.
            [
                (self.detector.column[n.need.id], n.need.id, n.score / top)
                for n in needs
                if n.evidence != [ALERT_EVIDENCE]
            ],
            Filters(
                area=area,
                audience=audience,
                age=None if reading.family else age,
                localities=reading.localities_in(area),
            ),
            set(exclude_records),
        )
        alert_needs = {nid for a in raised for nid in self.safeguarding.needs(a)}
        query.person = Person(
            age, reading.gender, frozenset({n.need.id for n in needs} | alert_needs), reading.family
        )
        results = self.retriever.rank(query, limit + 2 * len(needs), shown=limit)
        ordered = order_needs(needs, alert_needs, mattering)
        suggestion = self._suggestion(
            reading, ordered, results, area, age, alerts, profile, limit, pinned, query
        )
        suggestion.alert_needs = alert_needs
        if alert_needs:
            lead_with_alert_help(suggestion, limit)
        self._quote(suggestion, vectors)
        return suggestion

    def _quote(self, suggestion: Suggestion, vectors: np.ndarray) -> None:
        """Which words each record's reason quotes: those of the need it is shown for, when it
        meets that need (a Men's Shed under "making and fixing" quotes "used to be a joiner", not
        "lonely" or "widowed last year", though it fits loneliness too); else, of the needs it
        fits, the one whose words it meets most closely."""
        quoted = [n for n in suggestion.needs if n.row >= 0]
        if len(quoted) < 2:
            return
        index = self.index
        hits = [h for g in suggestion.groups for h in g.services + g.community]
        for hit in [*suggestion.services, *suggestion.community, *hits]:
            row = index.position.get(hit.record.id)
            if row is None:
                continue
            fitting = [
                n
                for n in quoted
                if index.need_tags[row, self.detector.column[n.need.id]]
                or index.need_fit[row, self.detector.column[n.need.id]] >= FIT_FOR_REASON
            ]
            if hit.tag in {n.need.id for n in fitting}:
                hit.reason = None  # the need it was ranked and is shown for: its own words
            elif len(fitting) > 1:
                best = max(fitting, key=lambda n: float(index.vectors[row] @ vectors[n.row]))
                hit.reason = best.need.id

    def _suggestion(
        self,
        reading: Reading,
        needs: list[NeedScore],
        results: dict[str, list[Hit]],
        area: str | None,
        age: int | None,
        alerts: list[Alert],
        profile: Profile,
        limit: int,
        pinned: Sequence[str],
        query: Query | None,
    ) -> Suggestion:
        context = {
            "needs_found": bool(needs),
            "interest_found": any(n.need.kind == "interest" for n in needs),
            "area_known": area is not None or len({a.slug for a in self.index.areas}) <= 1,
        }
        suggestion = Suggestion(
            needs,
            results.get("service", [])[:limit],
            results.get("community", [])[:limit],
            profile.questions(**context),
            area,
            age,
            alerts,
            reading.text,
            profile=profile,
            unknown=profile.unknown(**context),
            localities=sorted(reading.localities_in(area)),
            leading_join=self.reader.lex.leading_join,
        )
        if query is not None:
            shown = {h.record.id for h in suggestion.services + suggestion.community}
            suggestion.groups = self.retriever.plan(needs, results, shown, query, pinned)
        return suggestion


def lead_with_alert_help(suggestion: Suggestion, limit: int) -> None:
    """The help an alert brings opens each track's list, as it opens the plan, even when the
    ranking put it lower (the need came from the alert alone, so the ranking did not steer by
    it): a young mum whose partner threatens her with a knife sees the refuge before the baby
    cafe."""
    for track in ("services", "community"):
        leading = [
            hit
            for group in suggestion.groups
            if group.need_id in suggestion.alert_needs
            for hit in getattr(group, track)
        ]
        ids = {h.record.id for h in leading}
        rest = [h for h in getattr(suggestion, track) if h.record.id not in ids]
        setattr(suggestion, track, (leading + rest)[:limit])
