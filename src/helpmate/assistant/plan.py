"""The plan helpmate offers, typed, with the JSON contract the chat, the evaluations and scripts share.

``helpmate suggest --json`` prints ``Suggestion.to_json()``: needs, safeguarding alerts, the best
standard services and community resources (flat, best first), the questions still worth asking,
what was read about the person, and the same help grouped per need (``plan``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from helpmate.assistant.needs import NeedScore
from helpmate.assistant.profile import Profile
from helpmate.assistant.safeguarding import Alert
from helpmate.index.search import Hit
from helpmate.knowledge.injection import flagged_fields
from helpmate.knowledge.records import Record
from helpmate.knowledge.text import one_line

NOT_QUOTED = "(its description holds instructions, so it is not quoted: check the record)"
QUOTE_LIMIT = 90
"""A reason quotes what the person said when it is this short; longer, it names the need instead."""


@dataclass
class NeedGroup:
    """One need in the plan, with the standard services and community resources chosen for it."""

    need_id: str | None
    label: str
    services: list[Hit] = field(default_factory=list)
    community: list[Hit] = field(default_factory=list)
    urgent: bool = False
    matters: bool = False

    def met(self, track: str) -> bool:
        """A record of this track fits the need well (tagged with it, or close to its description)."""
        hits = self.services if track == "service" else self.community
        return self.need_id is not None and any(h.tag == self.need_id for h in hits)


@dataclass
class Suggestion:
    needs: list[NeedScore]
    services: list[Hit]
    community: list[Hit]
    questions: list[str]
    area: str | None
    age: int | None
    safeguarding: list[Alert] = field(default_factory=list)
    text: str = ""
    profile: Profile = field(default_factory=Profile)
    groups: list[NeedGroup] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    """What is still not known about the person (the questions come from these)."""
    localities: list[str] = field(default_factory=list)
    """The parts of the area the person is in, when the library knows them."""
    alert_needs: set[str] = field(default_factory=set)
    """Needs tied to a safeguarding alert (their help is left out of the citizen's copy)."""
    leading_join: Any = None
    """The lexicon's pattern of joining words a quote leaves out ("and", "but")."""

    def to_json(self) -> dict[str, Any]:
        return {
            "needs": [
                {"id": n.need.id, "label": n.need.label, "score": round(n.score, 3)} for n in self.needs
            ],
            "safeguarding": [a.to_json() for a in self.safeguarding],
            "services": [self._item(h) for h in self.services],
            "community": [self._item(h) for h in self.community],
            "questions": self.questions,
            "situation": {
                "what_matters": self.profile.what_matters,
                "strengths": self.profile.strengths,
                "facts": self.profile.facts,
                "unknown": self.unknown,
            },
            "area": self.area,
            "localities": self.localities,
            "plan": [
                {
                    "need": g.need_id,
                    "label": g.label,
                    "urgent": g.urgent,
                    "matters": g.matters,
                    "met": {"service": g.met("service"), "community": g.met("community")},
                    "services": [self._item(h) for h in g.services],
                    "community": [self._item(h) for h in g.community],
                }
                for g in self.groups
            ],
        }

    def _item(self, hit: Hit) -> dict[str, Any]:
        item = {
            "id": hit.record.id,
            "name": hit.record.name,
            "score": round(hit.score, 4),
            "need": hit.tag,
            "why": self.why(hit),
        }
        if hit.caveat:
            item["check"] = hit.caveat
        if hit.notice:
            item["notice"] = hit.notice
        return item

    def said(self, need_id: str | None) -> str:
        """The words that point at this need, when they add something to the whole text."""
        found = next((n for n in self.needs if n.need.id == need_id), None)
        said = found.clause.strip().rstrip(".") if found else ""
        if said and self.leading_join is not None:
            said = self.leading_join.sub("", said)
        return said if said.lower() != self.text.lower() else ""

    def why(self, hit: Hit) -> str:
        """A short reason: what the person said that this meets, then what the record offers."""
        wanted = hit.reason or hit.tag
        found = next((n for n in self.needs if n.need.id == wanted), None)
        what = offer(hit.record, 140)
        if what == NOT_QUOTED:
            what = f"{hit.record.name} {NOT_QUOTED}"
        check = f" (Check they fit: {hit.caveat}.)" if hit.caveat else ""
        if hit.notice:
            check += f" Notice: {hit.notice}."
        if found is None:
            return f"Close to what you described: {what}{check}"
        said = self.said(found.need.id)
        if said and len(said) <= QUOTE_LIMIT:
            return f"“{said}”: {what}{check}"
        return f"For {found.need.label[0].lower() + found.need.label[1:]}: {what}{check}"


def offer(record: Record, limit: int) -> str:
    """What a record offers, in one short line (never from a record whose text, in any field,
    instructs the assistant)."""
    if flagged_fields(record):
        return NOT_QUOTED
    return one_line(record.description or record.name, limit)
