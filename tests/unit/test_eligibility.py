"""Who a record is for, read from its words (issue 14), and whether a person fits it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from helpmate.knowledge.eligibility import describe, fits, read_eligibility, text_disagrees
from helpmate.knowledge.eligibility_patterns import PATTERNS_FILE, compile_phrase, load_patterns
from helpmate.knowledge.library import load_library, validate_library
from helpmate.knowledge.records import Eligibility, Record
from tests.conftest import SAMPLE


def read(text: str = "", name: str = "A group", description: str = "") -> dict[str, Any]:
    got = read_eligibility(name, text, description)
    return {k: v for k, v in got.items() if v and k not in ("text", "read_from")}


def record(**eligibility: Any) -> Record:
    return Record(id="r", name="A service", track="service", eligibility=Eligibility(**eligibility))


# --------------------------------------------------------------------------- ages


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Women aged 16+", {"min_age": 16, "genders": ["female"]}),
        ("Open to over 50s", {"min_age": 50}),
        ("A youth club for 11-19 year olds", {"min_age": 11, "max_age": 19}),
        ("Young people aged 11-19 (up to 25 with SEND)", {"min_age": 11, "max_age": 25}),
        ("Young people up to 25 (SEND)", {"max_age": 25}),
        ("Anyone aged 12+ (under-16s with an adult)", {"min_age": 12}),
        ("Adults aged 65+ (or 50+ with a high falls risk)", {"min_age": 50}),
        ("Children under 18 who have been bereaved", {"max_age": 17}),
        ("Older people living alone", {"min_age": 50}),
        ("Adults with a long-term condition", {"min_age": 18}),
        ("Adults; youth theatre 8-17", {"min_age": 8}),
    ],
)
def test_ages_are_read_from_the_words_that_limit_them(text: str, expected: dict[str, Any]) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Under 5s and their parents",  # a parent-and-baby group is for the parent too
        "Children aged 0-4 with a parent, carer or grandparent",
        "Parents of children aged 0-5",
        "Families with children under 5 living in Wrenford",
        "People aged 60+ living in Wrenford, and their carers",
        "Volunteers aged 16+",
        "Walks are between 2 and 3 miles long",
        "Open to all ages",
        "Bristol Shopmobility is unable to allow children under 16 to use its scooters",
    ],
)
def test_ages_that_are_not_the_persons_set_no_limit(text: str) -> None:
    assert "min_age" not in read(text) and "max_age" not in read(text)


def test_a_number_in_the_rest_of_a_description_counts_only_where_it_limits() -> None:
    assert read(description="We have supported over 150 adults since 1990.") == {}
    lead = "A friendly club in the village hall. We meet every week."
    assert read(description=f"{lead} Senior members (18 and over) can bring two guests.") == {}
    assert read(description=f"{lead} Participants must be aged 18+.") == {"min_age": 18}


def test_a_record_that_asks_for_volunteers_keeps_no_age_limit() -> None:
    # A 41-year-old who wants to host homeless young people must still find the project.
    nightstop = (
        "Nightstop gives free help and advice to young people who are homeless. Emergency beds are "
        "arranged through our volunteer host network. Aged 16-25? Call us."
    )
    assert read(name="Nightstop", description=nightstop) == {}


def test_ages_a_feed_gives_in_its_own_fields_are_kept() -> None:
    got = read_eligibility("Youth club", "For 11-19 year olds", min_age=10, max_age=21)
    assert (got["min_age"], got["max_age"]) == (10, 21) and "ages" not in got["read_from"]


# --------------------------------------------------------------------------- gender


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("Changes support group", "Women only", ["female"]),
        ("Bumps group", "For mums who are new to the area", ["female"]),
        ("Yate Men's Shed", "", ["male"]),
        ("Saturday club", "For dads and their children", ["male"]),
        ("Survivors support", "Male survivors of sexual abuse", ["male"]),
        ("Ladies Only Kickboxing", "", ["female"]),
    ],
)
def test_a_record_for_one_gender_is_read(name: str, text: str, expected: list[str]) -> None:
    assert read(text, name=name).get("genders") == expected


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Drop in", "Women and children"),
        ("Fellowship", "A fellowship of men and women"),
        ("Walking group", "A men's and women's group"),
        ("Play café", "For mums and dads"),
        ("Women's refuge", "Women's refuge. We also support men."),
        ("The Guilty Men", "A five-piece band from the North West"),
        ("Men's Shed", "Women are welcome at the Tuesday session too"),
        ("Mothers' Union", "A Christian charity supporting families"),
        ("Women and Teens Healthcare", "Clinic"),
    ],
)
def test_a_record_for_everyone_gets_no_gender(name: str, text: str) -> None:
    assert "genders" not in read(text, name=name)


def test_comparisons_and_staff_of_the_other_gender_do_not_open_a_record() -> None:
    shed = "Men typically find it harder than women to build social connections."
    assert read(name="Yate Men's Shed", description=shed)["genders"] == ["male"]
    tennis = "Please note this is a women's only session, but it is facilitated by a male coach."
    assert read(name="Community Tennis", description=tennis)["genders"] == ["female"]


def test_a_part_of_a_record_does_not_limit_all_of_it() -> None:
    text = "A community centre for everyone in Hollins. We also run a women's group on Mondays."
    assert read(name="Hollins Centre", description=text) == {}


# --------------------------------------------------------------------------- groups


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("Carers café", "For unpaid carers of any age", ["carers"]),
        ("Breakfast club", "For ex-forces and their families", ["veterans"]),
        ("Fairburn", "Respite for adults with a learning disability", ["learning-disability-autism"]),
        ("Memory Cafe - Fishponds", "", ["dementia"]),
        ("Drop in", "Refugees and people seeking asylum and their families", ["immigration-refugees"]),
        ("Support line", "For LGBTQ+ young people", ["lgbtq"]),
        ("Breastfeeding Support Group", "", ["pregnancy-baby"]),
        ("Deaf club", "For deaf and hard of hearing people", ["sensory-loss"]),
    ],
)
def test_a_record_that_serves_only_a_group_is_read(name: str, text: str, expected: list[str]) -> None:
    assert read(text, name=name).get("only_for") == expected


@pytest.mark.parametrize(
    "text",
    [
        "We welcome carers",
        "Parents and carers of children aged 0-5",
        "Open to all; carers, veterans and refugees especially welcome",
        "Carers' coffee morning: unpaid carers; the person cared for is welcome too",
        "Adults in recovery from drugs, alcohol or gambling",
        "Farm placements for adults with learning disabilities or mental health issues",
        "Relay calls for people who are deaf, hard of hearing or speech impaired",
    ],
)
def test_a_group_merely_mentioned_is_not_a_limit(text: str) -> None:
    assert "only_for" not in read(text, name="Coffee morning")


def test_the_words_that_set_each_field_are_kept() -> None:
    got = read_eligibility(
        "Wrenford Women's Refuge", "Women aged 16+ and their children fleeing domestic abuse"
    )
    assert got["read_from"] == {
        "genders": "Wrenford Women's Refuge",
        "ages": "Women aged 16+ and their children fleeing domestic abuse",
    }
    carers = read_eligibility("Coffee morning", "", "A monthly coffee morning for unpaid carers.")
    assert carers["read_from"] == {"carers": "A monthly coffee morning for unpaid carers."}


# --------------------------------------------------------------------------- fits


def test_a_man_does_not_fit_a_womens_refuge_and_is_told_why() -> None:
    refuge = record(text="Women aged 16+", min_age=16, genders=["female"])
    assert fits(40, "male", {"domestic-abuse"}, refuge) == (False, "for women aged 16+")
    assert fits(30, "female", {"domestic-abuse"}, refuge) == (True, "for women aged 16+")
    assert fits(None, None, set(), refuge) == (None, "for women aged 16+")
    assert fits(14, "female", set(), refuge)[0] is False


def test_a_young_mum_is_uncertain_for_learning_disability_respite_until_her_needs_show_it() -> None:
    respite = record(min_age=18, only_for=["learning-disability-autism"])
    verdict, reason = fits(19, "female", {"pregnancy-baby", "parenting"}, respite)
    assert (
        verdict is None and reason == "for people aged 18+; for people with a learning disability or autism"
    )
    assert fits(19, "female", {"learning-disability-autism"}, respite)[0] is True


def test_a_record_for_two_groups_fits_someone_in_either() -> None:
    """ "For people with dementia and their carers": a wife whose husband has dementia fits it
    though no carers need was found; someone in neither group stays uncertain."""
    group = record(only_for=["carers", "dementia"])
    assert fits(None, "female", {"dementia", "loneliness"}, group)[0] is True
    assert fits(None, "female", {"carers"}, group)[0] is True
    assert fits(None, "female", {"debt"}, group)[0] is None
    youth_or_carers = record(only_for=["young-people", "carers"])
    assert fits(40, None, {"debt"}, youth_or_carers)[0] is None  # a carer is not ruled out
    assert fits(40, None, {"carers"}, youth_or_carers)[0] is True


def test_ages_decide_when_known_and_doubt_only_a_narrow_limit_when_not() -> None:
    youth = record(min_age=11, max_age=19)
    assert fits(40, None, set(), youth) == (False, "for people aged 11-19")
    assert fits(15, None, set(), youth)[0] is True
    assert fits(None, None, set(), youth)[0] is None
    adults = record(min_age=18)
    assert fits(None, None, set(), adults)[0] is True  # most people a worker helps are adults
    assert fits(16, None, set(), adults)[0] is False
    young = record(only_for=["young-people"])
    assert fits(40, None, set(), young) == (False, "for young people")
    assert fits(17, None, set(), young)[0] is True


def test_a_record_with_no_limit_fits_everyone() -> None:
    assert fits(None, None, set(), record(text="Everyone welcome")) == (True, "")
    assert fits(70, "man", set(), record()) == (True, "")


def test_describe_names_girls_for_a_female_record_for_children() -> None:
    assert describe(Eligibility(genders=["female"], min_age=8, max_age=16)) == "for girls aged 8-16"
    assert describe(Eligibility(genders=["male"])) == "for men"
    assert describe(Eligibility(max_age=25)) == "for people up to 25"


# --------------------------------------------------------------------------- the library side


def test_kb_validate_warns_when_the_text_says_one_thing_and_the_fields_another(library: Path) -> None:
    path = library / "records" / "services.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("min_age: 16, genders: [female]}", "min_age: 16}")
    path.write_text(text, encoding="utf-8")
    warnings = [p for p in validate_library(library) if "wr-svc-refuge" in p.where]
    assert any("Women's Refuge" in p.message and "genders is empty" in p.message for p in warnings)


def test_kb_validate_refuses_an_unknown_group(library: Path) -> None:
    path = library / "records" / "services.yaml"
    text = path.read_text(encoding="utf-8").replace("only_for: [veterans]", "only_for: [vetrans]", 1)
    path.write_text(text, encoding="utf-8")
    errors = [p for p in validate_library(library) if p.severity == "error"]
    assert any("vetrans" in p.message for p in errors)


def test_the_sample_library_agrees_with_its_own_eligibility_text() -> None:
    library = load_library(SAMPLE)
    assert {r.id: text_disagrees(r) for r in library.records if text_disagrees(r)} == {}
    refuge = library.record("wr-svc-refuge")
    assert refuge is not None and refuge.eligibility.genders == ["female"]


def test_every_phrase_of_the_patterns_file_compiles_and_needs_words() -> None:
    data = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))
    patterns = load_patterns()
    needs = {n["id"] for n in yaml.safe_load((SAMPLE / "needs.yaml").read_text())["needs"]}
    assert {g.need for g in patterns.groups} <= needs
    assert all(g.name.items and g.says.items for g in patterns.groups)
    for group in data["groups"].values():
        for phrase in group.get("says", []) + group.get("name", []):
            assert not compile_phrase(phrase).search(""), phrase
    with pytest.raises(ValueError, match="no word"):
        compile_phrase("(a|b)? c?")


# --------------------------------------------------------------------------- the order shown


def test_what_was_not_said_keeps_a_record_in_the_list_and_an_unshown_group_goes_below() -> None:
    """A retired joiner whose gender nobody typed: the Men's Shed, his best match, stays among the
    five shown (last, with "for men"); respite for people with a learning disability he has not
    been said to have goes below everything that fits; a women's refuge for a man is left out."""
    from helpmate.assistant.retrieval import Person, Retriever
    from helpmate.index.search import Hit

    def hit(rid: str, score: float, **eligibility: Any) -> Hit:
        return Hit(
            Record(id=rid, name=rid, track="community", eligibility=Eligibility(**eligibility)), score, None
        )

    hits = [
        hit("shed", 1.0, genders=["male"]),
        hit("respite", 0.95, only_for=["learning-disability-autism"]),
        hit("repair-cafe", 0.9),
        hit("woodwork", 0.8),
        hit("walks", 0.7),
        hit("more", 0.6),
    ]
    joiner = Person(needs=frozenset({"making-fixing"}))
    order = [h.record.id for h in Retriever.eligible(hits, joiner, shown=3)]
    assert order == ["repair-cafe", "woodwork", "shed", "walks", "more", "respite"]
    assert Retriever.eligible(hits, joiner, shown=3)[2].caveat == "for men"
    man = Person(gender="male", needs=frozenset({"making-fixing"}))
    assert [h.record.id for h in Retriever.eligible(hits, man, shown=3)][:3] == [
        "shed",
        "repair-cafe",
        "woodwork",
    ]
    woman = Person(gender="female", needs=frozenset({"making-fixing"}))
    assert "shed" not in [h.record.id for h in Retriever.eligible(hits, woman, shown=3)]
