"""The one reading of a message: what it holds, and that each message is read once."""

from __future__ import annotations

import pytest

from helpmate.assistant.engine import Engine
from helpmate.assistant.lexicon import compile_lexicon, lexicon
from helpmate.assistant.reading import Reader, Reading, repair
from helpmate.assistant.runtime import Runtime
from helpmate.errors import HelpmateError
from helpmate.knowledge.library import load_library
from tests.conftest import SAMPLE

LIBRARY = load_library(SAMPLE)
READER = Reader(LIBRARY.needs, LIBRARY.areas)


def test_a_message_is_read_once_however_many_turns_and_plans(runtime: Runtime) -> None:
    reader = runtime.suggester.reader
    engine = Engine(runtime.suggester)
    before = reader.reads
    engine.turn("Mrs Okafor, 81, lives alone in Hollins since her husband died.")
    engine.turn("She used to sing in a choir and would love to again.")
    engine.turn("Her pension doesn't stretch to the gas bill.")
    engine.plan()
    engine.pin(next(iter(runtime.index.by_id)))
    assert reader.reads - before == 3
    runtime.suggester.suggest("Lonely since moving here, loves gardening.")
    assert reader.reads - before == 4


def test_the_text_is_repaired_once_quotes_mojibake_and_control_characters() -> None:
    assert repair("She’s “fine”\x1b[2J and cafÃ©") == 'She\'s "fine" and café'
    assert repair("  \n\t ") == ""


def test_sentences_clauses_and_phrases_nest() -> None:
    reading = READER.read(
        "He used to love fishing and wants to get out more, but he is clean for six years now. She's fine."
    )
    assert [s.text for s in reading.sentences][1] == "She's fine."
    assert [c.text.strip(" ,.") for c in reading.clauses][:2] == [
        "He used to love fishing and wants to get out more",
        "but he is clean for six years now",
    ]
    assert [p.text for p in reading.phrases][:3] == [
        "He used to love fishing",
        "and wants to get out more",
        "but he is clean for six years now",
    ]


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("He is 2 weeks behind on rent.", None),
        ("Mr Davies, 84, lives alone.", 84),
        ("She's in her 70s and lives alone.", 75),
        ("Aged 16 and sofa surfing.", 16),
        ("Seventeen-year-old, thrown out after a row with his stepdad.", 17),
        ("A girl of fourteen who does the shopping for her mum.", 14),
        ("She's a twenty-two year old care leaver.", 22),
        ("He has two kids and three dogs.", None),
    ],
)
def test_the_age(text: str, age: int | None) -> None:
    assert READER.read(text).age == age


@pytest.mark.parametrize(
    ("text", "gender"),
    [
        ("A young mum with a baby, 19, lives in Hollins.", "female"),
        ("Man, 45, hit by his wife last night.", "male"),
        ("Exhausted looking after her dad with dementia.", "female"),
        ("Lives alone, two cats.", None),
    ],
)
def test_the_persons_gender_from_the_first_word_that_gives_it(text: str, gender: str | None) -> None:
    assert READER.read(text).gender == gender


def test_a_conversation_joins_its_messages_without_reading_them_again() -> None:
    first = READER.read("Mrs Okafor, 81, lives alone in Hollins.")
    second = READER.read("She isn't lonely, she has good neighbours. Worried about the gas bill.")
    joined = Reading.join([first, second])
    assert joined.age == 81 and joined.area == "wrenford" and joined.gender == "female"
    assert [s.text for s in joined.sentences] == [
        *(s.text for s in first.sentences),
        *(s.text for s in second.sentences),
    ]
    # "She isn't lonely" in the second message ends loneliness for the whole conversation.
    over = READER.over(joined, joined.phrases)
    assert all("loneliness" in d for d in over)
    # The newest words count most: a cap keeps the latest sentences.
    assert Reading.join([first, second], max_chars=60).sentences[-1] == second.sentences[-1]


def test_what_matters_and_strengths_leave_out_what_raised_an_alert() -> None:
    reading = READER.read("She says she wants to die. She would like to see her grandchildren more.")
    assert reading.profile(skip=["wants to die"]).what_matters == [
        "She would like to see her grandchildren more"
    ]


def test_a_broken_pattern_in_the_lexicon_names_its_entry() -> None:
    import yaml

    from helpmate import data

    raw = yaml.safe_load(data.path("language", "reading.yaml").read_text())
    raw["family"] = "(unclosed"
    with pytest.raises(HelpmateError, match="family"):
        compile_lexicon(raw)
    assert lexicon() is lexicon()  # compiled once per process


def test_number_words_that_are_not_numbers_are_refused_by_name() -> None:
    import yaml

    from helpmate import data

    raw = yaml.safe_load(data.path("language", "reading.yaml").read_text())
    raw["numbers"] = {"seventeen": "17"}
    with pytest.raises(HelpmateError, match="numbers"):
        compile_lexicon(raw)


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("Mum of two in Brookside, her nine-year-old does the tea.", True),
        ("39, lives with her two teenagers.", True),
        ("He's 24 and self-harmed as a teenager, fine now.", False),
        ("She was in care as a child.", False),
    ],
)
def test_family_in_the_picture_but_not_the_persons_own_childhood(text: str, family: bool) -> None:
    assert READER.read(text).family is family
