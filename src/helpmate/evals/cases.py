"""The evaluation case format a trainer writes by hand (see evals/TEMPLATE.yaml).

A file holds ``cases:``, each with ``id``, ``area``, ``situation`` (one message) or ``turns`` (a
short conversation), ``needs`` (expected need ids), ``safeguarding`` (true/false) with an optional
``safeguarding_category``, ``relevant`` (record ids a good worker would suggest), optional
``must_not`` (ids that would be wrong or unsafe) and ``notes``.

A safeguarding set (evals/safeguarding/) adds, per case: ``safeguarding_kind`` (what a safeguarding
lead would name, from helpmate/data/safeguarding/kinds.yaml), ``also`` (other kinds that would be
right too), ``safeguarding_level`` (urgent, concern or check), ``variety`` (how it is said:
shorthand, dialect, second language...) and, for an ordinary case, ``looks_like`` (the risk it
resembles without being one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from helpmate.errors import HelpmateError
from helpmate.knowledge.library import describe_validation_error, read_yaml

SAFEGUARDING_CATEGORIES = (
    "suicide-self-harm",
    "domestic-abuse",
    "child-at-risk",
    "adult-at-risk",
    "immediate-danger",
)


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(min_length=1)
    area: str | None = None
    situation: str | None = None
    turns: list[str] | None = None
    needs: list[str] = []
    safeguarding: bool = False
    safeguarding_category: str | None = None
    safeguarding_kind: str | None = None
    also: list[str] = []
    safeguarding_level: Literal["urgent", "concern", "check"] | None = None
    variety: str | None = None
    looks_like: str | None = None
    relevant: list[str] = []
    must_not: list[str] = []
    notes: str = ""

    @model_validator(mode="after")
    def _has_text(self) -> Case:
        if not (self.situation or self.turns):
            raise ValueError("a case needs a 'situation' or 'turns'")
        if self.situation and self.turns:
            raise ValueError("give 'situation' or 'turns', not both")
        if self.safeguarding_category and self.safeguarding_category not in SAFEGUARDING_CATEGORIES:
            raise ValueError(f"safeguarding_category must be one of {', '.join(SAFEGUARDING_CATEGORIES)}")
        if self.safeguarding_kind and not self.safeguarding:
            raise ValueError("safeguarding_kind is for a case with safeguarding: true")
        return self

    @property
    def expected_kinds(self) -> list[str]:
        """The kinds that would be right for this case (its kind first)."""
        return [k for k in [self.safeguarding_kind, *self.also] if k]

    @property
    def messages(self) -> list[str]:
        return list(self.turns) if self.turns else [self.situation or ""]

    @property
    def text(self) -> str:
        return " ".join(self.messages)


def load_cases(path: Path) -> list[Case]:
    data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise HelpmateError(f"{path}: expected a mapping with a 'cases' list", hint="see evals/TEMPLATE.yaml")
    cases, seen = [], set()
    for number, item in enumerate(data["cases"], start=1):
        ident = item.get("id") if isinstance(item, dict) else None
        where = f"{path}: case {ident or number}"
        try:
            case = Case.model_validate(item)
        except ValidationError as exc:
            raise HelpmateError(f"{where}: {describe_validation_error(exc)}", hint="fix the case") from exc
        if case.id in seen:
            raise HelpmateError(f"{where}: duplicate case id", hint="give each case its own id")
        seen.add(case.id)
        cases.append(case)
    if not cases:
        raise HelpmateError(f"{path}: no cases in the file")
    return cases
