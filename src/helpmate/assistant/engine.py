"""The conversation engine: a situation that accumulates over turns, safeguarding first, a plan.

Each worker message is read once (``Reader``) and checked for safeguarding risks before anything
else; alerts accumulate and are never dropped. The plan is rebuilt from everything said so far
(the readings of the messages, joined, minus what the worker corrected), so needs and suggestions
sharpen as the conversation goes on. A correction such as "not bereavement, her sister is alive"
or "she isn't a carer" removes that need for the rest of the session.

This module never imports Textual; the chat front ends only call ``Engine.turn`` and friends.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from helpmate.assistant.plan import Suggestion
from helpmate.assistant.profile import Profile
from helpmate.assistant.reading import Reading
from helpmate.assistant.reply import compose, model_reply
from helpmate.assistant.safeguarding import Alert, alert_lines, ordered
from helpmate.assistant.suggest import Suggester
from helpmate.errors import HelpmateError, debug
from helpmate.knowledge.records import Record
from helpmate.knowledge.text import one_line

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
    alerts: list[Alert] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    area: str | None = None
    what_matters: list[str] = field(default_factory=list)
    strengths: list[str] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    added_needs: list[str] = field(default_factory=list)
    pinned: list[str] = field(default_factory=list)
    dismissed: dict[str, str] = field(default_factory=dict)
    edited: list[str] = field(default_factory=list)
    household_mentioned: bool = False
    raised_needs: list[str] = field(default_factory=list)
    """Needs the conversation has raised: they stay in the plan unless corrected or now over."""

    def to_json(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["alerts"] = [a.to_json() for a in self.alerts]
        return data

    def profile(self) -> Profile:
        return Profile(
            list(self.what_matters), list(self.strengths), dict(self.facts), self.household_mentioned
        )

    def is_acknowledged(self, alert: Alert) -> bool:
        """Acknowledged alerts are kept by category and the words that raised them, so a new alert
        of the same kind later in the conversation shows again."""
        return alert.key in self.acknowledged

    @property
    def unacknowledged(self) -> list[Alert]:
        return [a for a in self.alerts if not self.is_acknowledged(a)]


@dataclass
class Turn:
    message: str
    suggestion: Suggestion
    new_alerts: list[Alert]
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
        self._readings: dict[str, Reading] = {}
        lex = suggester.reader.lex
        self._correction, self._trailing = lex.correction, lex.correction_trailing
        self._names = {
            n.id: {
                n.id,
                n.id.replace("-", " "),
                n.label.lower(),
                n.label.lower().split(" and ")[0].split(",")[0],
                *(name.lower() for name in n.names),
            }
            for n in suggester.needs
        }

    def reading(self, text: str) -> Reading:
        """The reading of one message (or one line the worker wrote into the situation), read once."""
        if text not in self._readings:
            self._readings[text] = self.suggester.read(text)
        return self._readings[text]

    def corrections(self, message: str) -> list[str]:
        """The needs a correction such as "not bereavement, her sister is alive" takes away.

        Only a message that opens by naming a need (its id, label or one of its names, nothing
        more) is a correction: "No food in the house" or "no suicidal thoughts when I asked,
        but..." are situations.
        """
        match = self._correction.match(message)
        if not match:
            return []
        what = self._trailing.sub("", match.group("what").strip().lower())
        return [nid for nid, names in self._names.items() if what in names]

    def turn(self, text: str, on_token: Callable[[str], None] | None = None) -> Turn:
        message = clean_message(text)
        corrected = self.corrections(message)
        for need_id in corrected:
            if need_id not in self.situation.excluded_needs:
                self.situation.excluded_needs.append(need_id)
        # What follows a correction ("not bereavement, her sister is alive") is still news.
        said = (message.split(",", 1)[1].strip() if "," in message else "") if corrected else message
        reading = self.reading(said) if said else Reading("")
        # The area first, so that an alert on the first message already carries the local route.
        if self.situation.area is None:
            self.situation.area = reading.area
        # Safeguarding next: on this message alone, before the plan is rebuilt.
        new_alerts = self.suggester.safeguarding.alerts(reading, self.situation.area) if said else []
        known = {a.key for a in self.situation.alerts}
        new_alerts = [a for a in new_alerts if a.key not in known]
        self.situation.alerts.extend(new_alerts)
        if said:
            self.situation.messages.append(said)
            self._add_profile(reading.profile(skip=[a.evidence for a in new_alerts]))
        try:
            suggestion = self.plan()
        except HelpmateError:
            raise
        except Exception as exc:  # the alert above must reach the worker whatever failed after it
            if debug():
                raise
            error = f"helpmate could not build the plan ({type(exc).__name__}: {one_line(str(exc), 120)})"
            reply = "\n".join([*alert_lines(new_alerts), error + "; the alerts above stand."])
            empty = Suggestion(
                [], [], [], [], self.situation.area, None, ordered(self.situation.alerts), message
            )
            return Turn(message, empty, new_alerts, corrected, reply, error)
        reply = compose(suggestion, self.situation, new_alerts)
        if self.composer is not None and self.situation.messages:
            try:
                reply = model_reply(self, suggestion, new_alerts, reply, on_token)
            except HelpmateError as exc:  # e.g. redaction needs the [llm] extra: say what to do
                reply += f"\n(The language model was not used: {exc}; this is helpmate's own reply.)"
            except Exception as exc:  # a composer must never cost the worker a reply
                reply += (
                    f"\n(The language model failed ({type(exc).__name__}); this is helpmate's own reply.)"
                )
        return Turn(message, suggestion, new_alerts, corrected, reply)

    def _add_profile(self, found: Profile) -> None:
        """Adds what a message says about the person to the situation (never removes)."""
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
        situation.household_mentioned = situation.household_mentioned or found.household_mentioned

    def conversation(self) -> Reading:
        """The reading of everything said so far, joined from the messages' readings; what the
        worker wrote into the situation by hand counts as said."""
        situation = self.situation
        said = " ".join(situation.messages)
        extra = [
            item.rstrip(".") + "."
            for name in ("what_matters", "strengths")
            if name in situation.edited
            for item in getattr(situation, name)
            if item not in said
        ]
        return Reading.join([self.reading(text) for text in [*situation.messages, *extra]])

    def plan(self) -> Suggestion:
        situation = self.situation
        age = None
        if "facts" in situation.edited and situation.facts.get("age", "").strip().isdigit():
            age = int(situation.facts["age"])
        suggestion = self.suggester.suggest(
            self.conversation(),
            area=situation.area,
            limit=self.limit,
            age=age,
            exclude_needs=set(situation.excluded_needs),
            add_needs=situation.added_needs,
            keep_needs=situation.raised_needs,
            exclude_records=situation.dismissed,
            pinned=situation.pinned,
            profile=situation.profile(),
            alerts=list(situation.alerts),
        )
        if situation.area is None and suggestion.area:
            situation.area = suggestion.area
        found = [n.need.id for n in suggestion.needs if n.evidence != ["added by the worker"]]
        situation.raised_needs = list(dict.fromkeys([*situation.raised_needs, *found]))
        suggestion.safeguarding = ordered(situation.alerts)
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
        """The worker has seen these alerts (``Alert.key`` of each; all pending ones when None):
        an alert raised after the worker looked stays pending. Returns what was acknowledged."""
        pending = [a.key for a in self.situation.unacknowledged]
        new = pending if keys is None else [k for k in pending if k in set(keys)]
        self.situation.acknowledged += new
        return new

    def record(self, record_id: str) -> Record | None:
        return self.suggester.index.by_id.get(record_id)

    def _known(self, record_id: str) -> None:
        if record_id not in self.suggester.index.by_id:
            raise HelpmateError(f"no record '{record_id}' in the library", hint="see 'helpmate kb show'")
