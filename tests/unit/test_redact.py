"""Redaction: personal data swapped for placeholders before text leaves the machine, then restored."""

from __future__ import annotations

import pytest

from helpmate.assistant.redact import Redaction, Redactor

# Directory details the model must be able to cite (from the Wrenford sample library).
KEEP = [
    "Wrenford Citizens Advice",
    "01632 960100",
    "advice@wrenfordca.example",
    "12 Market Street, Old Quay, Wrenford",
    "XW1 2AB",
    "Old Quay",
    "Castle Mead",
]


@pytest.fixture
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
        ("Came in with Ms J. Smith today.", "Ms J. Smith"),
        ("Her GP is Dr Patel at the surgery.", "Dr Patel"),
        ("She came in with John Smith this morning.", "John Smith"),
        ("I met Peter O'Brien-Smith there.", "Peter O'Brien-Smith"),
        ("She has a daughter called Priya.", "Priya"),
        ("His neighbour is named Aisha Khan.", "Aisha Khan"),
        ("Her son Jamie is 14.", "Jamie"),
        ("Her husband, Tunde, works nights.", "Tunde"),
        ("Hello, my name is Sarah Jones.", "Sarah Jones"),
    ],
)
def test_names(redactor: Redactor, text: str, name: str) -> None:
    result = redactor.redact(text)
    assert name not in result.text
    assert result.mapping == {"[NAME_1]": name}


def test_title_name_stops_at_a_day(redactor: Redactor) -> None:
    assert redactor.redact("See Dr Patel Monday.").text == "See [NAME_1] Monday."


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("Her mobile is 07700 900123.", "07700 900123"),
        ("Her mobile is 07700900123.", "07700900123"),
        ("Landline 0117 496 0000 after six.", "0117 496 0000"),
        ("Landline (0117) 496 0000 after six.", "(0117) 496 0000"),
        ("Try +44 7700 900123 instead.", "+44 7700 900123"),
        ("Try +44 (0)117 496 0000 instead.", "+44 (0)117 496 0000"),
        ("Her mobile (07700 900123) is off.", "07700 900123"),
    ],
)
def test_phone_numbers(redactor: Redactor, text: str, phone: str) -> None:
    result = redactor.redact(text)
    assert result.mapping == {"[PHONE_1]": phone}
    assert "[PHONE_1]" in result.text


def test_emails(redactor: Redactor) -> None:
    result = redactor.redact("Email her at j.okafor+home@example.co.uk or gp@nhs.net please.")
    assert result.text == "Email her at [EMAIL_1] or [EMAIL_2] please."


@pytest.mark.parametrize("nino", ["QQ 12 34 56 C", "AB123456C", "ab123456c"])
def test_national_insurance_numbers(redactor: Redactor, nino: str) -> None:
    result = redactor.redact(f"Her NI number is {nino}, she thinks.")
    assert result.text == "Her NI number is [NINO_1], she thinks."
    assert result.mapping == {"[NINO_1]": nino}


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("DOB 3/4/1950, lives alone.", "3/4/1950"),
        ("Date of birth 03-04-1950, lives alone.", "03-04-1950"),
        ("She was born 3 March 1950, lives alone.", "3 March 1950"),
        ("He was born on 12/05/88, lives alone.", "12/05/88"),
        ("D.O.B.: 1st of June 1961, lives alone.", "1st of June 1961"),
    ],
)
def test_marked_dates_of_birth(redactor: Redactor, text: str, date: str) -> None:
    result = redactor.redact(text)
    assert result.mapping == {"[DOB_1]": date}
    assert date not in result.text


def test_unmarked_dates_are_left_alone(redactor: Redactor) -> None:
    text = "Seen on 14/02/2024 and again on 3 March 2025; the letter came last March."
    assert redactor.redact(text).text == text


def test_address_and_postcode(redactor: Redactor) -> None:
    result = redactor.redact("She lives at Flat 3, 14 Hollins Road, Scunthorpe DN15 6AB.")
    assert result.text == "She lives at [ADDRESS_1], Scunthorpe [POSTCODE_1]."
    assert result.mapping == {"[ADDRESS_1]": "Flat 3, 14 Hollins Road", "[POSTCODE_1]": "DN15 6AB"}


def test_postcodes(redactor: Redactor) -> None:
    assert (
        redactor.redact("Near BS3 4RT, moving to BS34RT.").text
        == "Near [POSTCODE_1], moving to [POSTCODE_1]."
    )
    assert redactor.redact("Her postcode is bs3 4rt.").text == "Her postcode is [POSTCODE_1]."
    assert redactor.redact("Anyone in DN15 can go.").text == "Anyone in DN15 can go."


def test_ordinary_text_is_unchanged(redactor: Redactor) -> None:
    text = "She's 82, lives in Bristol, goes to Age UK on Tuesdays, owes £300"
    assert redactor.redact(text) == Redaction(text=text, mapping={})


def test_organisations_places_and_benefits_are_not_names(redactor: Redactor) -> None:
    text = (
        "He called Citizens Advice and Universal Credit last March, then Jobcentre Plus on 3 May. "
        "Went to Southmead Hospital from Scunthorpe with a Blue Badge, and gets Pension Credit. "
        "Has 3 kids aged 4, 7 and 9, paid £1,200 in 2023, reference 12345, speaks Polish and English."
    )
    assert redactor.redact(text).text == text


def test_keep_protects_directory_details(redactor: Redactor) -> None:
    text = (
        "Refer to Wrenford Citizens Advice on 01632 960100 (or 01632960100), "
        "advice@wrenfordca.example, at 12 Market Street, XW1 2AB, in Old Quay near Castle Mead."
    )
    assert redactor.redact(text).text == text


def test_keep_is_case_insensitive_and_only_protects_what_it_lists() -> None:
    redactor = Redactor(keep=["bristol mind"])
    result = redactor.redact("Referred to Bristol Mind with Aisha Khan on 07700 900123.")
    assert result.text == "Referred to Bristol Mind with [NAME_1] on [PHONE_1]."


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


def test_known_name_found_at_sentence_start(redactor: Redactor) -> None:
    result = redactor.redact("She came with Aisha Khan. Aisha Khan is 34.")
    assert result.text == "She came with [NAME_1]. [NAME_1] is 34."


def test_restore_round_trips(redactor: Redactor) -> None:
    text = (
        "Mr Davies (DOB 3/4/1950, NI QQ 12 34 56 C) of 22 Acacia Avenue, BS3 4RT, "
        "phone 0117 496 0000, email davies@example.com, is caring for his wife called Mary."
    )
    result = redactor.redact(text)
    for original in result.mapping.values():
        assert original not in result.text
    assert set(result.mapping) == {
        "[NAME_1]",
        "[NAME_2]",
        "[DOB_1]",
        "[NINO_1]",
        "[ADDRESS_1]",
        "[POSTCODE_1]",
        "[PHONE_1]",
        "[EMAIL_1]",
    }
    assert Redactor.restore(result.text, result.mapping) == text


@pytest.mark.parametrize(
    "mangled", ["[Name_1]", "[name 1]", "NAME_1", "Name_1", "NAME 1", "[[NAME_1]]", "{NAME_1}", "<NAME-1>"]
)
def test_restore_mangled_placeholders(mangled: str) -> None:
    mapping = {"[NAME_1]": "Mrs Okafor"}
    assert Redactor.restore(f"Ask {mangled} to call.", mapping) == "Ask Mrs Okafor to call."


def test_restore_leaves_unknown_placeholders_and_ordinary_words() -> None:
    mapping = {"[NAME_1]": "Mrs Okafor", "[PHONE_1]": "07700 900123"}
    text = "[NAME_2] gave her name 1 time and phone 1 reference; [PHONE_10] is unknown."
    assert Redactor.restore(text, mapping) == text
    assert Redactor.restore("Call [PHONE_1] for [NAME_1].", mapping) == "Call 07700 900123 for Mrs Okafor."
