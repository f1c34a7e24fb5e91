"""The reply a worker reads after each message: helpmate's own, or a language model's from the same plan.

With no model (the default), ``compose`` writes it deterministically: new alerts with the first
steps of their route, what was understood, the plan per need with standard services and community
side by side, the questions worth asking. With a model configured, ``model_reply`` has it write
the reply from the same plan; alerts always lead in helpmate's own words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from helpmate.assistant.plan import Suggestion, offer
from helpmate.assistant.safeguarding import Alert, alert_lines
from helpmate.knowledge.text import one_line

if TYPE_CHECKING:
    from helpmate.assistant.engine import Engine, Situation


def compose(suggestion: Suggestion, situation: Situation, new_alerts: list[Alert]) -> str:
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


def model_reply(
    engine: Engine,
    suggestion: Suggestion,
    new_alerts: list[Alert],
    fallback: str,
    on_token: Callable[[str], None] | None,
) -> str:
    """The model writes the reply from the same plan; alerts lead it in helpmate's own words."""
    from helpmate.assistant.llm.composer import PlanData
    from helpmate.assistant.llm.records import ground_record
    from helpmate.assistant.redact import Redactor

    # The model sees the plan the worker sees: every record under every need, pinned ones too.
    services = [h for g in suggestion.groups for h in g.services] or suggestion.services
    community = [h for g in suggestion.groups for h in g.community] or suggestion.community
    # A record whose text instructs the assistant is withheld: only its id and name reach the model.
    records = [ground_record(h.record) for h in services + community]
    situation = " ".join(engine.situation.messages)
    if engine.redact:
        areas = engine.suggester.index.areas
        keep = [x for r in records for x in (r.name, r.phone, r.email, r.url) if x]
        keep += [name for a in areas for name in a.place_names()]
        situation = Redactor(keep).redact(situation, engine.redaction_map).text
    plan = PlanData(
        situation=situation,
        needs=[n.need.label for n in suggestion.needs],
        alerts=[{"category": a.category, "level": a.level, "evidence": ""} for a in suggestion.safeguarding],
        services=records[: len(services)],
        community=records[len(services) :],
        questions=suggestion.questions,
        fallback_reply=fallback,
    )
    result = engine.composer.compose(plan, on_token)
    if not result.used_model:
        notices = [n for n in (result.notice, getattr(result, "withheld_notice", "")) if n]
        return fallback + "".join(f"\n({n})" for n in notices)
    text = Redactor.restore(result.text, engine.redaction_map) if engine.redact else result.text
    return "\n".join(part for part in ("\n".join(alert_lines(new_alerts)), text, result.notice) if part)
