"""What is known about the person, and what is still worth asking.

The profile is what a worker sees in the situation panel (and can correct): what matters to the
person, their strengths and interests, and the facts of a life (age, household, caring, area). It
is read from a ``Reading``; the engine adds each message's profile to the situation. The questions
helpmate suggests come from what the profile does not know yet, and from nothing else.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

# What is still unknown, in the order it is worth asking about, each with the question to ask.
QUESTIONS = {
    "worries": "What is worrying them most at the moment, and what would they like to change?",
    "what matters to them": "What matters most to them right now?",
    "age": "Roughly how old are they?",
    "strengths and interests": "What do they enjoy, or used to enjoy, doing? What are they good at?",
    "household": "Who do they live with, and who is around to help?",
    "area": "Which area do they live in (town or postcode)?",
}
MAX_QUESTIONS = 3


@dataclass
class Profile:
    what_matters: list[str] = field(default_factory=list)
    strengths: list[str] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    household_mentioned: bool = False
    """Someone the person lives with or family around them is mentioned, even without a household fact."""

    def unknown(
        self,
        *,
        needs_found: bool = True,
        interest_found: bool = False,
        area_known: bool = True,
    ) -> list[str]:
        """What is still not known about the person, most useful first (the questions come from
        these). ``needs_found``: any need was recognised; ``interest_found``: one of them is an
        interest; ``area_known``: the area is known or the library has only one."""
        missing = []
        if not needs_found:
            missing.append("worries")
        if not self.what_matters:
            missing.append("what matters to them")
        if "age" not in self.facts:
            missing.append("age")
        if not self.strengths and not interest_found:
            missing.append("strengths and interests")
        if "household" not in self.facts and not self.household_mentioned:
            missing.append("household")
        if not area_known:
            missing.append("area")
        return missing

    def questions(self, **context: bool) -> list[str]:
        """Up to three questions that would most change the plan, never one already answered."""
        return [QUESTIONS[key] for key in self.unknown(**context)][:MAX_QUESTIONS]

    def merged(self, other: Profile, *, keep_facts: Collection[str] = ()) -> Profile:
        """This profile with what ``other`` adds (never removes); facts named in ``keep_facts``
        keep their value here (the worker edited them)."""
        facts = dict(self.facts)
        for key, value in other.facts.items():
            if key not in keep_facts or key not in facts:
                facts[key] = value
        return Profile(
            list(dict.fromkeys([*self.what_matters, *other.what_matters])),
            list(dict.fromkeys([*self.strengths, *other.strengths])),
            facts,
            self.household_mentioned or other.household_mentioned,
        )
