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
