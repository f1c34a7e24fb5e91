"""The conversation engine over turns: safeguarding first, corrections, sessions and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpmate.assistant.engine import Engine, clean_message
from helpmate.assistant.runtime import load_runtime, open_store
from helpmate.assistant.sessions import SessionStore, export_markdown
from helpmate.index.builder import build_index
from helpmate.index.embedders import HashingEmbedder
from helpmate.knowledge.library import load_library
from helpmate.settings import Settings


@pytest.fixture
def runtime(library: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path / "home", knowledge=library, embedder="hashing")
    embedder = HashingEmbedder()
    build_index(load_library(library), settings.index_dir, open_store(settings), embedder)
    return load_runtime(settings, embedder)


def test_alerts_come_first_accumulate_and_are_never_dropped(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    first = engine.turn("Her partner hit her last night and she's scared to go home.")
    assert [a["category"] for a in first.new_alerts] == ["domestic-abuse"]
    assert first.reply.startswith("SAFEGUARDING URGENT: domestic-abuse")
    assert "01632 960149" in first.reply or "999" in first.reply
    later = engine.turn("She loves gardening and used to have an allotment.")
    assert later.new_alerts == [] and "domestic-abuse" in [
        a["category"] for a in later.suggestion.safeguarding
    ]


def test_a_correction_sticks_for_the_rest_of_the_session(runtime) -> None:  # type: ignore[no-untyped-def]
    engine = Engine(runtime.suggester)
    engine.turn("Widowed last spring, grieving, the funeral was hard; he misses his wife terribly.")
    assert "bereavement" in [n.need.id for n in engine.plan().needs]
    corrected = engine.turn("not bereavement, his wife is alive")
    assert corrected.corrected == ["bereavement"]
    engine.turn("He still talks about the funeral and grieving.")
    assert "bereavement" not in [n.need.id for n in engine.plan().needs]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "x" * 100_000,
        "\x00\x07\x1b[31mred\x1b[0m help",
        "Она одинока и не выходит из дома",
        "🙂" * 500,
    ],
)
def test_odd_input_gets_a_sensible_answer_and_nothing_crashes(runtime, text: str) -> None:  # type: ignore[no-untyped-def]
    turn = Engine(runtime.suggester).turn(text)
    assert isinstance(turn.reply, str) and turn.reply
    assert "\x00" not in turn.message and "\x1b" not in turn.message and len(turn.message) <= 100_000


def test_clean_message_strips_control_characters() -> None:
    assert clean_message("a\x00b\x1b[0m  c\n d") == "a b [0m c d"


def test_every_turn_is_saved_and_a_session_resumes(runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = SessionStore(tmp_path / "sessions")
    session = store.new()
    engine = Engine(runtime.suggester, session.situation)
    for message in [
        "Lonely since moving to Northgate.",
        "He'd love to sing again.",
        "She said she wants to die.",
    ]:
        store.record_turn(session, engine.turn(message))
        saved = json.loads(store.path(session.id).read_text())
        assert saved["turns"][-1]["message"] == message  # on disk before the next turn
    resumed = store.load(session.id)
    assert resumed.situation.messages == session.situation.messages
    assert [a["category"] for a in resumed.situation.alerts] == ["suicide-self-harm"]
    assert [s.id for s in store.list()] == [session.id]
    assert not list((tmp_path / "sessions").glob("*.tmp"))


def test_exports_for_the_worker_and_the_citizen(runtime, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = SessionStore(tmp_path / "sessions")
    session = store.new()
    engine = Engine(runtime.suggester, session.situation)
    store.record_turn(
        session, engine.turn("Mum of a toddler, money ran out, no food till Friday, feels alone.")
    )
    plan = engine.plan()
    worker = export_markdown(session, plan)
    citizen = export_markdown(session, plan, citizen=True)
    first = plan.services[0].record
    assert f"`{first.id}`" in worker and "## Plan" in worker and "Contact:" in worker
    assert first.name in citizen and "`" not in citizen and "safeguarding" not in citizen.lower()
