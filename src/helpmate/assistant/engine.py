"""The conversation engine: a situation that accumulates over turns, safeguarding first, a plan.

Each worker message is checked for safeguarding risks before anything else; alerts accumulate
and are never dropped. The plan is rebuilt from everything said so far (minus what the worker
corrected), so needs and suggestions sharpen as the conversation goes on. A correction such as
"not bereavement, her sister is alive" removes that need for the rest of the session.

This module never imports Textual; the chat front ends only call ``Engine.turn``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from helpmate.assistant.facts import Profile, find_area, read_profile
from helpmate.assistant.suggest import Suggester, Suggestion, offer
from helpmate.errors import HelpmateError
from helpmate.knowledge.records import Record
from helpmate.knowledge.text import one_line

_CORRECTION = re.compile(
    r"^\s*(?:actually[, ]+)?(?:it'?s\s+)?(?:not|no)\s+(?P<what>[\w\s'-]+?)(?:[,.;:]|$)", re.I
)
_TRAILING = re.compile(r"\s+(?:then|after\s+all|needs?|issues?|problems?|please)$")
MAX_MESSAGE = 100_000


EDITABLE = ("what_matters", "strengths", "facts", "needs")


@dataclass
class Situation:
    """What is known about the person so far. ``what_matters``, ``strengths`` (strengths and
    interests) and ``facts`` (age, household, caring, area) are read from each message and added
    to; once the worker edits one of them (``Engine.edit``), their version stands and later
    messages only add to it."""

    messages: list[str] = field(default_factory=list)
    excluded_needs: list[str] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    area: str | None = None
    what_matters: list[str] = field(default_factory=list)
    strengths: list[str] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    added_needs: list[str] = field(default_factory=list)
    pinned: list[str] = field(default_factory=list)
    dismissed: dict[str, str] = field(default_factory=dict)
    edited: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Situation:
        """Reads sessions saved by this and earlier versions (missing fields start empty)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        situation = cls(**known)
        # Earlier versions acknowledged a whole category; that covers the alerts raised by then,
        # never a later alert of the same kind.
        categories = [a for a in situation.acknowledged if ": " not in a]
        if categories:
            situation.acknowledged = [a for a in situation.acknowledged if ": " in a] + [
                alert_key(alert) for alert in situation.alerts if alert["category"] in categories
            ]
        return situation

    def profile(self) -> Profile:
        return Profile(list(self.what_matters), list(self.strengths), dict(self.facts))

    def is_acknowledged(self, alert: dict[str, Any]) -> bool:
        """Acknowledged alerts are kept by category and the words that raised them, so a new alert
        of the same kind later in the conversation shows again."""
        return alert_key(alert) in self.acknowledged

    @property
    def unacknowledged(self) -> list[dict[str, Any]]:
        return [a for a in self.alerts if not self.is_acknowledged(a)]


def alert_key(alert: dict[str, Any]) -> str:
    return f"{alert['category']}: {alert['evidence']}"


@dataclass
class Turn:
    message: str
    suggestion: Suggestion
    new_alerts: list[dict[str, Any]]
    corrected: list[str]
    reply: str
    error: str = ""
    """What went wrong after safeguarding, when the plan could not be built (empty when fine)."""


def clean_message(text: str) -> str:
    """Control characters out, length capped, whitespace folded: any paste is safe to process."""
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text[:MAX_MESSAGE])
    return " ".join(text.split())


class Engine:
    """One conversation. ``composer`` (optional) is a language-model composer with a
    ``compose(plan, on_token)`` method; ``redact`` says whether text must be redacted before it
    reaches that model (a model that is not on this machine)."""

    def __init__(
        self,
        suggester: Suggester,
        situation: Situation | None = None,
        limit: int = 5,
        composer: Any = None,
        redact: bool = False,
    ) -> None:
        self.suggester = suggester
        self.situation = situation or Situation()
        if self.situation.area is None:  # a library of one area: that area, from the start
            self.situation.area = suggester.only_area
        self.limit = limit
        self.composer = composer
        self.redact = redact
        self.redaction_map: dict[str, str] = {}
        self._labels = {
            n.id: {
                n.id,
                n.id.replace("-", " "),
                n.label.lower(),
                n.label.lower().split(" and ")[0].split(",")[0],
            }
            for n in suggester.needs
        }

    def corrections(self, message: str) -> list[str]:
        """The needs a correction such as "not bereavement, her sister is alive" takes away.

        Only a message that opens by naming a need (its id or label, nothing more) is a correction:
        "No food in the house" or "no suicidal thoughts when I asked, but..." are situations.
        """
        match = _CORRECTION.match(message)
        if not match:
            return []
        what = _TRAILING.sub("", match.group("what").strip().lower())
        return [nid for nid, names in self._labels.items() if what in names]

    def turn(self, text: str, on_token: Callable[[str], None] | None = None) -> Turn:
        message = clean_message(text)
        # The area first, so that an alert on the first message already carries the local route.
        if self.situation.area is None:
            self.situation.area = find_area(message, self.suggester.index.areas)
        # Safeguarding first: on this message alone, before the plan is rebuilt.
        new_alerts = (
            [a.to_json() for a in self.suggester.routes.alerts(message, self.situation.area)]
            if message
            else []
        )
        known = {(a["category"], a["evidence"]) for a in self.situation.alerts}
        new_alerts = [a for a in new_alerts if (a["category"], a["evidence"]) not in known]
        self.situation.alerts.extend(new_alerts)
        corrected = self.corrections(message)
        for need_id in corrected:
            if need_id not in self.situation.excluded_needs:
                self.situation.excluded_needs.append(need_id)
        # What follows a correction ("not bereavement, her sister is alive") is still news.
        rest = message.split(",", 1)[1].strip() if corrected and "," in message else ""
        said = rest if corrected else message
        if said:
            self.situation.messages.append(said)
            self._read(said, new_alerts)
        try:
            suggestion = self.plan()
        except HelpmateError:
            raise
        except Exception as exc:  # the alert above must reach the worker whatever failed after it
            if os.environ.get("HELPMATE_DEBUG") == "1":
                raise
            error = f"helpmate could not build the plan ({type(exc).__name__}: {one_line(str(exc), 120)})"
            reply = "\n".join([*alert_lines(new_alerts), error + "; the alerts above stand."])
            empty = Suggestion(
                [], [], [], [], self.situation.area, None, list(self.situation.alerts), message
            )
            return Turn(message, empty, new_alerts, corrected, reply, error)
        reply = compose(suggestion, self.situation, new_alerts)
        if self.composer is not None and self.situation.messages:
            try:
                reply = self._model_reply(suggestion, new_alerts, reply, on_token)
            except Exception as exc:  # a composer must never cost the worker a reply
                reply += (
                    f"\n(The language model failed ({type(exc).__name__}); this is helpmate's own reply.)"
                )
        return Turn(message, suggestion, new_alerts, corrected, reply)

    def _model_reply(
        self,
        suggestion: Suggestion,
        new_alerts: list[dict[str, Any]],
        fallback: str,
        on_token: Callable[[str], None] | None,
    ) -> str:
        """The model writes the reply from the same plan; alerts lead it in helpmate's own words."""
        from helpmate.assistant.llm.composer import GroundRecord, PlanData
        from helpmate.assistant.redact import Redactor

        # The model sees the plan the worker sees: every record under every need, pinned ones too.
        services = [h for g in suggestion.groups for h in g.services] or suggestion.services
        community = [h for g in suggestion.groups for h in g.community] or suggestion.community
        hits = services + community
        records = [
            GroundRecord(
                h.record.id,
                h.record.name,
                h.record.description,
                h.record.contact.phone,
                h.record.contact.email,
                h.record.contact.url,
                h.record.how_to_access,
            )
            for h in hits
        ]
        situation = " ".join(self.situation.messages)
        if self.redact:
            areas = self.suggester.index.areas
            keep = [x for r in records for x in (r.name, r.phone, r.email, r.url) if x]
            keep += [name for a in areas for name in a.place_names()]
            situation = Redactor(keep).redact(situation, self.redaction_map).text
        plan = PlanData(
            situation=situation,
            needs=[n.need.label for n in suggestion.needs],
            alerts=[
                {"category": a["category"], "level": a["level"], "evidence": ""}
                for a in suggestion.safeguarding
            ],
            services=records[: len(services)],
            community=records[len(services) :],
            questions=suggestion.questions,
            fallback_reply=fallback,
        )
        result = self.composer.compose(plan, on_token)
        if not result.used_model:
            return fallback + (f"\n({result.notice})" if result.notice else "")
        text = Redactor.restore(result.text, self.redaction_map) if self.redact else result.text
        return "\n".join(part for part in ("\n".join(alert_lines(new_alerts)), text, result.notice) if part)

    def _read(self, message: str, alerts: list[dict[str, Any]]) -> None:
        """Adds what this message says about the person to the situation (never removes). A clause
        that raised an alert ("wants to die") is a risk, never something that matters or a strength."""
        found = read_profile(message, self.suggester.index.areas, skip=[a["evidence"] for a in alerts])
        situation = self.situation
        for item in found.what_matters:
            if item not in situation.what_matters:
                situation.what_matters.append(item)
        for item in found.strengths:
            if item not in situation.strengths:
                situation.strengths.append(item)
        for key, value in found.facts.items():
            if "facts" not in situation.edited or key not in situation.facts:
                situation.facts[key] = value

    def plan(self) -> Suggestion:
        situation = self.situation
        # What the worker wrote into the situation by hand counts as said.
        said = " ".join(situation.messages)
        extra = [
            item
            for name in ("what_matters", "strengths")
            if name in situation.edited
            for item in getattr(situation, name)
            if item not in said
        ]
        text = " ".join([*situation.messages, *(e.rstrip(".") + "." for e in extra)])
        age = None
        if "facts" in situation.edited and situation.facts.get("age", "").strip().isdigit():
            age = int(situation.facts["age"])
        suggestion = self.suggester.suggest(
            text,
            area=situation.area,
            limit=self.limit,
            age=age,
            exclude_needs=set(situation.excluded_needs),
            add_needs=situation.added_needs,
            exclude_records=situation.dismissed,
            pinned=situation.pinned,
            profile=situation.profile(),
            alerts=list(situation.alerts),
        )
        if situation.area is None and suggestion.area:
            situation.area = suggestion.area
        suggestion.safeguarding = list(situation.alerts)
        return suggestion

    # ------------------------------------------------------------------ the worker's edits

    def edit(self, name: str, values: list[str] | dict[str, str]) -> Suggestion:
        """The worker's own version of a part of the situation; it sticks for the rest of the session.

        ``needs`` takes the need ids to keep (in any order): needs left out are excluded, new ones
        are added. ``facts`` takes a mapping; an ``area`` fact naming a library area sets the area.
        """
        situation = self.situation
        if name not in EDITABLE:
            raise HelpmateError(f"cannot edit '{name}'", hint="editable: " + ", ".join(EDITABLE))
        if name == "facts":
            if not isinstance(values, dict):
                raise HelpmateError("facts are edited as a mapping of name to value")
            situation.facts = {k.strip(): v.strip() for k, v in values.items() if k.strip() and v.strip()}
            area = situation.facts.get("area", "").lower()
            for a in self.suggester.index.areas:
                if area in (a.slug, a.name.lower()):
                    situation.area = a.slug
        else:
            items = [v.strip() for v in values if isinstance(v, str) and v.strip()]
            if name == "needs":
                known = {n.id for n in self.suggester.needs}
                unknown = [v for v in items if v not in known]
                if unknown:
                    raise HelpmateError(f"unknown need: {', '.join(unknown)}", hint="use ids from needs.yaml")
                current = {n.need.id for n in self.plan().needs}
                situation.excluded_needs = sorted(
                    (set(situation.excluded_needs) | (current - set(items))) - set(items)
                )
                situation.added_needs = [v for v in items if v not in current or v in situation.added_needs]
            else:
                setattr(situation, name, list(dict.fromkeys(items)))
        if name not in situation.edited:
            situation.edited.append(name)
        return self.plan()

    def pin(self, record_id: str) -> Suggestion:
        """Keeps a record in the plan whatever else changes (and takes it off the dismissed list)."""
        self._known(record_id)
        self.situation.dismissed.pop(record_id, None)
        if record_id not in self.situation.pinned:
            self.situation.pinned.append(record_id)
        return self.plan()

    def dismiss(self, record_id: str, reason: str = "") -> Suggestion:
        """Takes a record out of the plan for this session; the reason is kept with the session."""
        self._known(record_id)
        if record_id in self.situation.pinned:
            self.situation.pinned.remove(record_id)
        self.situation.dismissed[record_id] = " ".join(reason.split())[:300] or "no reason given"
        return self.plan()

    def acknowledge(self, keys: Collection[str] | None = None) -> list[str]:
        """The worker has seen these alerts (``alert_key`` of each; all pending ones when None):
        an alert raised after the worker looked stays pending. Returns what was acknowledged."""
        pending = [alert_key(a) for a in self.situation.unacknowledged]
        new = pending if keys is None else [k for k in pending if k in set(keys)]
        self.situation.acknowledged += new
        return new

    def record(self, record_id: str) -> Record | None:
        return self.suggester.index.by_id.get(record_id)

    def _known(self, record_id: str) -> None:
        if record_id not in self.suggester.index.by_id:
            raise HelpmateError(f"no record '{record_id}' in the library", hint="see 'helpmate kb show'")


def alert_lines(alerts: list[dict[str, Any]]) -> list[str]:
    """Each new alert in words (level, category, what was heard) and the first steps of its route."""
    lines: list[str] = []
    for alert in alerts:
        lines.append(
            f'SAFEGUARDING {alert["level"].upper()}: {alert["category"]} (heard: "{alert["evidence"]}").'
        )
        route = alert.get("route") or {}
        if route.get("urgent"):
            lines.append(route["urgent"])
        lines += [f"- {step}" for step in route.get("steps", [])[:3]]
    return lines


def compose(suggestion: Suggestion, situation: Situation, new_alerts: list[dict[str, Any]]) -> str:
    """The default reply, with no language model: alerts, what was understood, the plan per need
    (standard services and community side by side), questions."""
    lines = alert_lines(new_alerts)
    if not situation.messages and not suggestion.groups:
        lines.append("Tell me about the person: what is going on, what matters to them, what they enjoy.")
        return "\n".join(lines)
    if suggestion.needs:
        lines.append("I understood: " + "; ".join(n.need.label.lower() for n in suggestion.needs) + ".")
    else:
        lines.append("I have not recognised a clear need yet.")
    if situation.what_matters:
        lines.append("What matters to them: " + "; ".join(situation.what_matters[:3]) + ".")
    if situation.strengths:
        lines.append("Strengths and interests: " + "; ".join(situation.strengths[:3]) + ".")
    for group in suggestion.groups:
        if not (group.services or group.community):
            continue
        said = suggestion.said(group.need_id)
        quote = f" (“{one_line(said, 70)}”)" if said else ""
        lines.append(f"{group.label}{quote}:")
        for title, hits in (("service", group.services), ("community", group.community)):
            lines += [f"- {title}: {h.record.name} [{h.record.id}]: {offer(h.record, 100)}" for h in hits[:2]]
    if suggestion.questions:
        lines.append("Worth asking: " + " ".join(suggestion.questions))
    return "\n".join(lines)
