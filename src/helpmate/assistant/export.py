"""Exports of a session: the worker's plan, and a plain-language version for the citizen (Markdown)."""

from __future__ import annotations

from pathlib import Path

from helpmate.assistant.plan import Suggestion
from helpmate.assistant.private import private_dir, write_new
from helpmate.assistant.safeguarding import ordered
from helpmate.assistant.sessions import Session
from helpmate.errors import HelpmateError
from helpmate.knowledge.records import Record
from helpmate.knowledge.text import one_line

MAX_COPIES = 1000


def _contact(record: Record) -> str:
    parts = [record.contact.phone, record.contact.email, record.contact.url]
    return ", ".join(p for p in parts if p) or "no contact details in the directory"


def _record_lines(record: Record, citizen: bool, notice: str = "") -> list[str]:
    lines = [f"- Notice: {notice}"] if notice else []
    lines.append(f"- Contact: {_contact(record)}")
    if record.how_to_access:
        lines.append(f"- {'How to start' if citizen else 'How to refer'}: {record.how_to_access}")
    if record.opening_times:
        lines.append(f"- When: {record.opening_times}")
    if record.address:
        lines.append(f"- Where: {record.address} {record.postcode}".rstrip())
    if record.cost:
        lines.append(f"- Cost: {record.cost}")
    if not citizen and record.eligibility.text:
        lines.append(f"- Eligibility: {record.eligibility.text}")
    return lines


def export_markdown(session: Session, suggestion: Suggestion, citizen: bool = False) -> str:
    """The worker's plan (situation, alerts, plan per need with contacts and how to refer, open
    questions), or a plain-language version to give to the citizen."""
    situation = session.situation
    # Help for a safeguarding concern (a refuge, a crisis team) is left out of the citizen's copy:
    # a paper found at home can put the person at risk. The worker's copy says so.
    risky = set(suggestion.alert_needs)
    if citizen:
        lines = ["# Your plan", "", "Here are some places that could help, and how to get in touch.", ""]
        for group in suggestion.groups:
            if group.urgent or group.need_id in risky:
                continue
            hits = [h for h in group.services + group.community if not risky & set(h.record.all_needs())]
            if not hits:
                continue
            if group.need_id:
                lines += [f"## {group.label}", ""]
            for hit in hits:
                r = hit.record
                lines += [f"### {r.name}", "", one_line(r.description, 400), ""]
                lines += _record_lines(r, citizen=True, notice=hit.notice) + [""]
        lines.append("If you ever feel unsafe, call 999. Samaritans are there day and night on 116 123.")
        return "\n".join(lines) + "\n"
    lines = [f"# Session {session.id}", "", f"Started {session.created}", "", "## Situation", ""]
    lines += [f"> {m}" for m in situation.messages] or ["(nothing yet)"]
    lines += ["", "Needs: " + (", ".join(n.need.label for n in suggestion.needs) or "none recognised")]
    if situation.excluded_needs:
        lines.append("Corrected (not needs): " + ", ".join(situation.excluded_needs))
    for title, items in (
        ("What matters", situation.what_matters),
        ("Strengths and interests", situation.strengths),
    ):
        if items:
            lines.append(f"{title}: " + "; ".join(items))
    if situation.facts:
        lines.append("Facts: " + "; ".join(f"{k}: {v}" for k, v in situation.facts.items()))
    if situation.alerts:
        lines += ["", "## Safeguarding", ""]
        for alert in ordered(situation.alerts):
            ack = " (acknowledged)" if situation.is_acknowledged(alert) else ""
            lines.append(f'- **{alert.level.upper()}: {alert.title}**{ack}, heard: "{alert.evidence}"')
            lines += [f"  - {step}" for step in (alert.route.steps if alert.route else ())]
        lines += [
            "",
            "The citizen's copy leaves out the help for these concerns: share it in person, when it is safe.",
        ]
    lines += ["", "## Plan", ""]
    for group in suggestion.groups:
        lines += [f"### {group.label}" + (" (safeguarding)" if group.urgent else ""), ""]
        for title, hits in (("Standard services", group.services), ("Community to pull in", group.community)):
            if not hits:
                continue
            lines.append(f"{title}:")
            for hit in hits:
                r = hit.record
                pin = " (pinned)" if r.id in situation.pinned else ""
                lines.append(f"- **{r.name}** (`{r.id}`){pin}: {suggestion.why(hit)}")
                lines += ["  " + line for line in _record_lines(r, citizen=False, notice=hit.notice)]
            lines.append("")
    if situation.dismissed:
        lines += ["## Dismissed", ""] + [f"- `{rid}`: {why}" for rid, why in situation.dismissed.items()]
        lines.append("")
    if suggestion.questions:
        lines += ["## Open questions", ""] + [f"- {q}" for q in suggestion.questions]
    return "\n".join(lines) + "\n"


def export_files(session: Session, plan: Suggestion, folder: Path, *, own: bool = False) -> tuple[Path, Path]:
    """Both plans as Markdown files in ``folder`` (0600): ``<id>-worker.md`` and ``<id>-citizen.md``,
    or ``<id>-worker-2.md`` ... when those names are taken (a file is never replaced). ``own``: the
    folder is helpmate's ``exports/`` (made 0700); a folder the worker named is left as it is.
    ``HelpmateError`` in one line when the folder cannot be written (nothing half-written)."""
    texts = (export_markdown(session, plan), export_markdown(session, plan, citizen=True))
    try:
        private_dir(folder, tighten=own)
        for copy in range(1, MAX_COPIES + 1):
            suffix = "" if copy == 1 else f"-{copy}"
            paths = (folder / f"{session.id}-worker{suffix}.md", folder / f"{session.id}-citizen{suffix}.md")
            if any(p.exists() or p.is_symlink() for p in paths):
                continue
            try:
                write_new(paths[0], texts[0])
            except FileExistsError:
                continue
            try:
                write_new(paths[1], texts[1])
            except FileExistsError:
                paths[0].unlink(missing_ok=True)
                continue
            except BaseException:
                paths[0].unlink(missing_ok=True)
                raise
            return paths
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise HelpmateError(
            f"could not export to {folder}: {reason}",
            hint="nothing was written; export to a folder you can write to",
            exit_code=1,
        ) from exc
    raise HelpmateError(
        f"could not export to {folder}: {MAX_COPIES} exports of this session are there already",
        hint="move some away or export to another folder",
        exit_code=1,
    )
