"""Each recogniser helpmate adds to Presidio (and the Presidio ones it relies on), on its own:
what it finds, and the lookalikes it leaves. Run through the analyser so context words count."""

from __future__ import annotations

import pytest

from helpmate.assistant.pii.analyzer import get_analyzer


def found(text: str, entity: str) -> list[str]:
    engine, _ = get_analyzer()
    return [text[r.start : r.end] for r in engine.analyze(text=text, language="en", entities=[entity])]


@pytest.mark.parametrize(
    ("entity", "text", "expected"),
    [
        # UkPhoneRecognizer: Ofcom's drama ranges, which phonenumbers rejects, in every form.
        ("PHONE_NUMBER", "mob 07700 900417", ["07700 900417"]),
        ("PHONE_NUMBER", "best number +44 7700 900583", ["+44 7700 900583"]),
        ("PHONE_NUMBER", "ring (01632) 960 111 after 6", ["(01632) 960 111"]),
        ("PHONE_NUMBER", "or 020 7946 0123", ["020 7946 0123"]),
        ("PHONE_NUMBER", "owes 1200 since 2019", []),
        # Presidio's NHS recogniser: the mod-11 check digit decides.
        ("UK_NHS", "nhs 999 709 7246", ["999 709 7246"]),
        ("UK_NHS", "nhs 999 709 7247", []),
        # Presidio's NI number recogniser, in any case and spacing.
        ("UK_NINO", "ni kt 70 47 91 d", ["kt 70 47 91 d"]),
        ("UK_NINO", "NI number PN548028A", ["PN548028A"]),
        # UkPostcodeRecognizer: any case, invented districts too; an outward code alone is left.
        ("UK_POSTCODE", "lives at xw3 2qn", ["xw3 2qn"]),
        ("UK_POSTCODE", "BS1 5TR", ["BS1 5TR"]),
        ("UK_POSTCODE", "anyone in DN15 can go on the 2nd", []),
        # SortCodeRecognizer: only with a sort-code word before it.
        ("UK_SORT_CODE", "sort code 20-45-77", ["20-45-77"]),
        ("UK_SORT_CODE", "s/c 40 11 62", ["40 11 62"]),
        ("UK_SORT_CODE", "scores were 20-45-77 this season", []),
        # BankAccountRecognizer: eight digits after an account word.
        ("UK_BANK_ACCOUNT", "acc no 41236790", ["41236790"]),
        ("UK_BANK_ACCOUNT", "reference 41236790 on the letter", []),
        # Presidio's card recogniser: Luhn-checked.
        ("CREDIT_CARD", "card 4462 9553 9109 2168", ["4462 9553 9109 2168"]),
        ("CREDIT_CARD", "card 4462 9553 9109 2169", []),
        # DateOfBirthRecognizer: a date with a birth word before it; other dates are left.
        ("DATE_OF_BIRTH", "dob 14/07/1988", ["14/07/1988"]),
        ("DATE_OF_BIRTH", "born 3rd of march 1950", ["3rd of march 1950"]),
        ("DATE_OF_BIRTH", "d.o.b. 03.04.1991", ["03.04.1991"]),
        ("DATE_OF_BIRTH", "born in 1962 in Lagos", ["1962"]),
        ("DATE_OF_BIRTH", "seen on 14/07/2024 about the rent", []),
        # StreetAddressRecognizer: a number and a street, in any case.
        ("UK_ADDRESS", "lives at 27 rowan way", ["27 rowan way"]),
        ("UK_ADDRESS", "flat 11 riverside court, 2 quay st", ["flat 11 riverside court, 2 quay st"]),
        ("UK_ADDRESS", "at no 22 beech avenue", ["no 22 beech avenue"]),
        ("UK_ADDRESS", "sent to 3 the green", ["3 the green"]),
        ("UK_ADDRESS", "paid 20 quid at the park", []),
        ("UK_ADDRESS", "lives on mill lane", []),
        # The offline email recogniser.
        ("EMAIL_ADDRESS", "email chidi.nwosu88@example.com", ["chidi.nwosu88@example.com"]),
    ],
)
def test_recogniser(entity: str, text: str, expected: list[str]) -> None:
    assert found(text, entity) == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("her lad kyle is 15", ["kyle"]),  # a relation cue, a name that is also a (Scots) word
        ("mum is shannon price", ["shannon price"]),  # a surname that is an ordinary word
        ("kids Tobi and Kemi, fleeing dv", ["Tobi", "Kemi"]),  # a list of names
        ("Rhys ap Gwilym from the hostel", ["Rhys ap Gwilym"]),  # a particle
        ("name Victoria Lane, mobile off", ["Victoria Lane"]),  # a street-word surname after a cue
        ("her son will come round", []),  # a modal verb, not Will
        ("Hope is hard to come by", []),  # an abstract noun opening a sentence
        ("Talk Shop Men's Peer Support Group", []),  # a service's Title Case name
    ],
)
def test_name_recogniser(text: str, names: list[str]) -> None:
    engine, _ = get_analyzer()
    results = engine.analyze(text=text, language="en", entities=["PERSON"])
    spans = sorted({(r.start, r.end) for r in results})
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    assert [text[s:e] for s, e in merged] == names
