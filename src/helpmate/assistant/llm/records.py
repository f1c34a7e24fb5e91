"""A directory record as the language-model layer sees it: what the prompt may show and what the
grounding check allows a reply to name.

It sits below both ``composer`` (which writes records into the prompt) and ``grounding`` (which
checks a reply against them), so neither imports the other for it. A record whose text instructs
the assistant (``helpmate.knowledge.injection``) is *withheld*: the prompt carries only its id and
name, and none of its contacts may appear in a reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from helpmate.knowledge.injection import flagged_fields, looks_like_instructions

if TYPE_CHECKING:
    from helpmate.knowledge.records import Record


@dataclass
class GroundRecord:
    id: str
    name: str
    description: str
    phone: str = ""
    email: str = ""
    url: str = ""
    how_to_access: str = ""
    flagged: bool = False
    """Some field of the library record instructs the assistant (set by ``ground_record``): the
    model gets the id and name only, and a reply may give none of this record's contacts."""


def ground_record(record: Record) -> GroundRecord:
    """The model layer's view of a library record, flagged when any of its text fields (name,
    description, how to access, eligibility, cost, opening times, contacts ...) instructs the
    assistant. The engine builds the records of a plan with this."""
    return GroundRecord(
        id=record.id,
        name=record.name,
        description=record.description,
        phone=record.contact.phone,
        email=record.contact.email,
        url=record.contact.url,
        how_to_access=record.how_to_access,
        flagged=bool(flagged_fields(record)),
    )


def withheld(record: GroundRecord) -> bool:
    """Whether the record's text and contacts stay out of the prompt and the reply: flagged by
    ``ground_record``, or (for one built by hand) any text it carries instructs the assistant."""
    if record.flagged:
        return True
    texts = (record.name, record.description, record.how_to_access, record.phone, record.email, record.url)
    return any(text.strip() and looks_like_instructions(text) for text in texts)


def shown_name(record: GroundRecord) -> str:
    """The record's name, unless the name itself is the injected text."""
    return "(name withheld)" if looks_like_instructions(record.name) else record.name


def withheld_notice(records: list[GroundRecord]) -> str:
    """One line for the worker naming the records whose text was kept from the model, or ""."""
    if not records:
        return ""
    names = ", ".join(f"[{r.id}]" if shown_name(r) != r.name else f"{r.name} [{r.id}]" for r in records)
    if len(records) == 1:
        return (
            f"The text of {names} was withheld from the language model: it gives instructions to "
            "the assistant, so check the record before passing anything on."
        )
    return (
        f"The text of {len(records)} records was withheld from the language model: they give "
        f"instructions to the assistant, so check them before passing anything on: {names}."
    )
