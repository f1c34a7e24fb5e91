"""The conversation engine with the real model over the sample library: the person's strengths
and interests, said or written into the situation by the worker, steer the community track."""

from __future__ import annotations

import pytest

from helpmate.assistant.engine import Engine
from helpmate.assistant.runtime import Runtime

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("situation", "strength", "kind"),
    [
        (
            "Widower, 80, lives alone, days feel endless since his wife died.",
            "keen gardener, grew vegetables on his allotment for forty years",
            ("garden", "allotment"),
        ),
        (
            "She is 45, off work with depression and rarely leaves the flat.",
            "used to paint and draw, loved art at school",
            ("art", "paint", "craft"),
        ),
    ],
)
def test_strengths_and_interests_steer_the_community_track(
    sample: Runtime, situation: str, strength: str, kind: tuple[str, ...]
) -> None:
    def fits(plan) -> list[str]:  # type: ignore[no-untyped-def]
        return [h.record.id for h in plan.community if any(k in h.record.name.lower() for k in kind)]

    engine = Engine(sample.suggester)
    before = engine.turn(situation).suggestion
    assert not fits(before)
    edited = engine.edit("strengths", [strength])
    assert fits(edited), [h.record.name for h in edited.community]
    assert fits(edited)[0] in [h.record.id for h in edited.community[:2]]
    # Said in the conversation instead, the interest works the same way.
    said = Engine(sample.suggester).turn(f"{situation} {strength.capitalize()}.").suggestion
    assert fits(said)


def test_a_turned_down_need_leaves_no_weak_guesses_in_its_place(sample: Runtime) -> None:
    """The strongest need sets the bar even when it is over or turned down: nothing weak takes its
    place (before, carers, young people, later life and volunteering did), while a need the
    person asks for beside an old one stays."""
    alone = sample.suggester.suggest(
        "She isn't lonely, she has good neighbours and sees her daughter every week."
    )
    assert alone.needs == [] and alone.questions
    moved_on = sample.suggester.suggest(
        "He's 41, used heroin for years but he's been clean for six years now and doesn't need drug "
        "services. What he wants is to give something back, to help people who are sleeping on the streets."
    )
    found = [n.need.id for n in moved_on.needs]
    assert "volunteering" in found and "substance-use" not in found
