"""Safeguarding detection: every risk flagged, negation and past tense respected."""

from __future__ import annotations

import pytest

from helpmate.assistant.reading import Reader
from helpmate.assistant.safeguarding import Alert, Safeguarding
from helpmate.knowledge.library import load_library
from tests.conftest import SAMPLE

SAFEGUARDING = Safeguarding.load(SAMPLE)
READER = Reader(load_library(SAMPLE).needs)


def detect(text: str, area: str | None = None) -> list[Alert]:
    return SAFEGUARDING.alerts(READER.read(text), area)


RISKS = [
    # A negation in one clause must not reach a risk said in the next.
    ("She doesn't eat much, and says she wants to die", "suicide-self-harm", "urgent"),
    ("Not eating, not sleeping, says she wants to die", "suicide-self-harm", "urgent"),
    ("He told me he's been thinking about ending it all.", "suicide-self-harm", "urgent"),
    ("Her mum says she wants to die and has been stockpiling her tablets.", "suicide-self-harm", "urgent"),
    ("Says everyone would be better off without him.", "suicide-self-harm", "urgent"),
    ("Found cuts on her arms this morning.", "suicide-self-harm", "urgent"),
    ("He doesn't want to wake up any more.", "suicide-self-harm", "urgent"),
    ("She's been self-harming again since the exams.", "suicide-self-harm", "urgent"),
    ("Her boyfriend pushed her down the stairs last night.", "domestic-abuse", "urgent"),
    ("Her husband controls all her money and checks her phone.", "domestic-abuse", "concern"),
    ("She's scared to go home tonight.", "domestic-abuse", "concern"),
    ("Her partner said he'd kill her if she left.", "domestic-abuse", "urgent"),
    ("The kids are left home alone overnight while she works.", "child-at-risk", "urgent"),
    ("Some nights they're left on their own while she goes out.", "child-at-risk", "concern"),
    ("Her son, 14, keeps getting lifts and money from older men.", "child-at-risk", "urgent"),
    ("The boy is going missing for days at a time.", "child-at-risk", "concern"),
    ("Her nephew has her bank card and won't give it back.", "adult-at-risk", "urgent"),
    ("Some lads have taken over his flat and he's frightened of them.", "adult-at-risk", "concern"),
    ("She keeps getting scam calls and has sent them money.", "adult-at-risk", "concern"),
    ("He's living in squalor and refusing all help.", "adult-at-risk", "concern"),
    ("He's outside with a knife right now.", "immediate-danger", "urgent"),
    ("She's collapsed and she's not breathing properly.", "immediate-danger", "urgent"),
]

ORDINARY = [
    # Found by the second independent hold-out set (evals/oruk-holdout2.yaml):
    "He told me he wants to cut down on the vodka before it kills him.",
    "Her husband died suddenly of a heart attack at 38, eight weeks ago.",
    "No thoughts of harming himself when I asked.",
    "I asked about suicide and she said no, never.",
    "She used to drink but has been sober for ten years.",
    "Her ex was violent years ago; she's safe and settled now.",
    "He self-harmed as a teenager but hasn't for a long time.",
    "Her son took his own life two years ago and she'd like to meet other bereaved parents.",
    "Worried how her dad will take it when she tells him she's gay.",
    "His partner kicked him out and he's sofa surfing.",
    "She denies any violence at home.",
    "He loves cutting the grass and would like an allotment.",
    "The kids love going to the park with their grandad.",
    "Money is tight and the cupboards are empty till payday.",
    "He's lonely since his wife died and the days feel endless.",
    "She has no concerns about anyone taking her money.",
    "She's been feeling low since the baby but has a good partner.",
    "Retired joiner who likes fixing things for neighbours.",
    "He's been bingeing on box sets and not getting out.",
    "Mum of two, youngest at nursery, wants to get back to work.",
    "He wants to end his tenancy and move closer to his daughter.",
    "She says there's no point in the bus since they cut the route.",
]


@pytest.mark.parametrize(("text", "category", "level"), RISKS)
def test_every_risk_is_flagged_with_its_category_and_level(text: str, category: str, level: str) -> None:
    alerts = {a.category: a for a in detect(text)}
    assert category in alerts, text
    assert alerts[category].level == level and alerts[category].evidence


@pytest.mark.parametrize("text", ORDINARY)
def test_negation_past_tense_and_ordinary_worries_raise_no_alert(text: str) -> None:
    assert detect(text) == [], [(a.category, a.evidence) for a in detect(text)]


def test_alerts_carry_the_local_route_and_fall_back_to_the_national_one() -> None:
    alert = detect("He said he wants to end his life.", "wrenford")[0]
    assert alert.route is not None and "01632 960142" in " ".join(c["phone"] for c in alert.route.contacts)
    national = detect("He said he wants to end his life.", "elsewhere")[0]
    assert national.route is not None and any(
        "116 123" in c.get("phone", "") for c in national.route.contacts
    )
    data = alert.to_json()
    assert data["category"] == "suicide-self-harm" and data["level"] == "urgent" and data["route"]["steps"]
