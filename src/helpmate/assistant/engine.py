"""The conversation engine: a situation that accumulates over turns, safeguarding first, a plan.

Each worker message is checked for safeguarding risks before anything else; alerts accumulate
and are never dropped. The plan is rebuilt from everything said so far (minus what the worker
corrected), so needs and suggestions sharpen as the conversation goes on. A correction such as
"not bereavement, her sister is alive" removes that need for the rest of the session.

This module never imports Textual; the chat front ends only call ``Engine.turn``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from helpmate.assistant.suggest import Suggester, Suggestion

_CORRECTION = re.compile(
    r"^\s*(?:actually[, ]+)?(?:it'?s\s+)?(?:not|no)\s+(?P<what>[\w\s'-]+?)(?:[,.;:]|$)", re.I
)
MAX_MESSAGE = 100_000


@dataclass
class Situation:
    messages: list[str] = field(default_factory=list)
    excluded_needs: list[str] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    area: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "excluded_needs": self.excluded_needs,
            "alerts": self.alerts,
            "acknowledged": self.acknowledged,
            "area": self.area,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Situation:
        return cls(
            list(data.get("messages", [])),
            list(data.get("excluded_needs", [])),
            list(data.get("alerts", [])),
            list(data.get("acknowledged", [])),
            data.get("area"),
        )


@dataclass
class Turn:
    message: str
    suggestion: Suggestion
    new_alerts: list[dict[str, Any]]
    corrected: list[str]
    reply: str


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
        match = _CORRECTION.match(message)
        if not match:
            return []
        what = match.group("what").strip().lower()
        return [
            nid for nid, names in self._labels.items() if any(what == n or what.startswith(n) for n in names)
        ]

    def turn(self, text: str, on_token: Callable[[str], None] | None = None) -> Turn:
        message = clean_message(text)
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
        if message and not corrected:
            self.situation.messages.append(message)
        suggestion = self.plan()
        reply = compose(suggestion, self.situation, new_alerts)
        if self.composer is not None and self.situation.messages:
            reply = self._model_reply(suggestion, new_alerts, reply, on_token)
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

        hits = suggestion.services + suggestion.community
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
            keep += [a.name for a in areas] + [place for a in areas for place in a.places]
            situation = Redactor(keep).redact(situation, self.redaction_map).text
        plan = PlanData(
            situation=situation,
            needs=[n.need.label for n in suggestion.needs],
            alerts=[
                {"category": a["category"], "level": a["level"], "evidence": ""}
                for a in suggestion.safeguarding
            ],
            services=records[: len(suggestion.services)],
            community=records[len(suggestion.services) :],
            questions=suggestion.questions,
            fallback_reply=fallback,
        )
        result = self.composer.compose(plan, on_token)
        if not result.used_model:
            return fallback + (f"\n({result.notice})" if result.notice else "")
        text = Redactor.restore(result.text, self.redaction_map) if self.redact else result.text
        return "\n".join(part for part in ("\n".join(alert_lines(new_alerts)), text, result.notice) if part)

    def plan(self) -> Suggestion:
        text = " ".join(self.situation.messages)
        suggestion = self.suggester.suggest(
            text, area=self.situation.area, limit=self.limit, exclude_needs=set(self.situation.excluded_needs)
        )
        if self.situation.area is None and suggestion.area:
            self.situation.area = suggestion.area
        suggestion.safeguarding = list(self.situation.alerts)
        return suggestion


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
    """The default reply, with no language model: alerts, what was understood, suggestions, questions."""
    lines = alert_lines(new_alerts)
    if not situation.messages:
        lines.append("Tell me about the person: what is going on, what matters to them, what they enjoy.")
        return "\n".join(lines)
    if suggestion.needs:
        lines.append("I understood: " + "; ".join(n.need.label.lower() for n in suggestion.needs) + ".")
    else:
        lines.append("I have not recognised a clear need yet.")
    for title, hits in (
        ("Standard services", suggestion.services),
        ("Community to pull in", suggestion.community),
    ):
        if hits:
            lines.append(f"{title}:")
            lines += [f"- {h.record.name} [{h.record.id}]: {suggestion.why(h)}" for h in hits[:3]]
    if suggestion.questions:
        lines.append("Worth asking: " + " ".join(suggestion.questions))
    return "\n".join(lines)
