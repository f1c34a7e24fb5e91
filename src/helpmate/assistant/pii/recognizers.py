"""UK recognisers Presidio does not ship, or ships in a form that misses how workers type.

Each is a small Presidio ``PatternRecognizer``: a pattern, a base score and context words. A weak
pattern (six digits could be a sort code, a date or a reference) starts below the analyser's
threshold and is only kept when Presidio's context enhancer finds one of its context words among
the five words before it ("sort code 20-45-77", "acc no 41236790", "dob 3.4.41"). Patterns are
case-insensitive (Presidio's default flags), so "bs1 5tr" and "27 rowan way" count as well.

What Presidio already does well is used as it ships (see ``analyzer.py``): the NHS number with its
mod-11 check digit, the National Insurance number, card numbers with the Luhn check, IBANs and
phone numbers that ``phonenumbers`` holds to be real. Presidio's email recogniser is not used: it
asks ``tldextract``, which fetches the public suffix list from the internet on first use.
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern, PatternRecognizer

THRESHOLD = 0.4  # the analyser's score threshold: a weak pattern needs context to reach it
WEAK = 0.05  # a pattern that means nothing without its context words
STRONG = 0.75  # a pattern that is personal data wherever it appears


def _digits_uk_phone(text: str) -> bool:
    """True for a UK number: 10 or 11 digits nationally (0 then 1, 2, 3, 5, 7, 8 or 9)."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44") and text.lstrip().startswith("+"):
        digits = "0" + digits[2:]
    digits = digits.replace("00", "0", 1) if digits.startswith("00") else digits
    return digits.startswith("0") and len(digits) in (10, 11) and digits[1] in "1235789"


class UkPhoneRecognizer(PatternRecognizer):
    """07700 900123, 07700900123, +44 7700 900123, (01632) 960 111, 020 7946 0123, +44 (0)117 ...

    ``phonenumbers`` (Presidio's phone recogniser) rejects numbers in ranges not yet allocated,
    which include Ofcom's drama ranges and any new range; the shape and digit count decide here.
    """

    PATTERNS = [
        Pattern(
            "UK phone",
            r"(?<![\w+/.])(?:(?:\+|00)44[ -]?(?:\(0\)[ -]?)?\(?\d|\(?0\d)(?:[ -]?\)?[ -]?\d){8,9}(?![\d/])",
            STRONG,
        )
    ]
    CONTEXT = ["phone", "tel", "mob", "mobile", "number", "ring", "call", "landline", "contact"]

    def __init__(self) -> None:
        super().__init__(
            "PHONE_NUMBER", name="UkPhoneRecognizer", patterns=self.PATTERNS, context=self.CONTEXT
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        return None if _digits_uk_phone(pattern_text) else False


class EmailRecognizer(PatternRecognizer):
    """An email address, checked by shape only (no public suffix list, so nothing is fetched)."""

    PATTERNS = [
        Pattern(
            "email",
            r"(?<![\w.+'-])[a-z0-9._%+'-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b",
            0.9,
        )
    ]

    def __init__(self) -> None:
        super().__init__(
            "EMAIL_ADDRESS", name="OfflineEmailRecognizer", patterns=self.PATTERNS, context=["email"]
        )


class UkPostcodeRecognizer(PatternRecognizer):
    """A full postcode in any case: "BS1 5TR", "bs15tr", "XW3 2QN".

    Presidio's own UK postcode recogniser scores 0.1 without context and holds to the letters the
    Royal Mail allocates, so the invented districts of a test library (XW1 2KH) and typos are
    missed; the shape alone is specific enough in free text (an ordinal such as "2nd" is not an
    inward code). An outward code on its own
    ("anyone in DN15") is an area, not an address, and is left.
    """

    PATTERNS = [
        Pattern(
            "UK postcode",
            r"(?<![a-z0-9])(?:[a-z]{1,2}\d[a-z\d]?|gir) ?\d(?!st|nd|rd|th)[a-z]{2}(?![a-z0-9])",
            STRONG,
        )
    ]

    def __init__(self) -> None:
        super().__init__(
            "UK_POSTCODE", name="AnyCaseUkPostcodeRecognizer", patterns=self.PATTERNS, context=["postcode"]
        )


class SortCodeRecognizer(PatternRecognizer):
    """A bank sort code: 20-45-77, 20 45 77 or 204577, only after "sort code", "sc" or "bank"."""

    PATTERNS = [Pattern("sort code", r"(?<![\d/.-])\d{2}([- ]?)\d{2}\1\d{2}(?![\d/.-])", WEAK)]
    CONTEXT = ["sort", "sc", "s/c", "s.c", "bank", "branch"]

    def __init__(self) -> None:
        super().__init__(
            "UK_SORT_CODE", name="UkSortCodeRecognizer", patterns=self.PATTERNS, context=self.CONTEXT
        )


class BankAccountRecognizer(PatternRecognizer):
    """A UK bank account number (8 digits, or 7 or 10 for a few banks) near an account cue."""

    PATTERNS = [Pattern("account number", r"(?<![\d/.-])(?:\d{4} ?\d{4}|\d{7}|\d{10})(?![\d/.-])", WEAK)]
    CONTEXT = ["account", "acc", "acct", "a/c", "bank", "iban"]

    def __init__(self) -> None:
        super().__init__(
            "UK_BANK_ACCOUNT", name="UkBankAccountRecognizer", patterns=self.PATTERNS, context=self.CONTEXT
        )


_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)?\d{2}"


class DateOfBirthRecognizer(PatternRecognizer):
    """A date next to "dob", "born" or "birthday": 14/07/1988, 3.4.41, 1988-07-14, 14th July 1988,
    3rd of march 1950, July 14 1988, 14 jul 88. A date without such a word (an appointment, the
    day a letter came) is not personal data and is left."""

    PATTERNS = [
        Pattern("numeric date", rf"(?<![\d/.-]){_DAY}[/.-](?:0?[1-9]|1[0-2])[/.-]{_YEAR}(?![\d/.-])", WEAK),
        Pattern(
            "iso date",
            r"(?<![\d/.-])(?:19|20)\d{2}-(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])(?![\d/.-])",
            WEAK,
        ),
        Pattern("day month year", rf"\b{_DAY}(?:\s+of)?[\s/-]+{_MONTH},?[\s/-]+{_YEAR}\b", WEAK),
        Pattern("month day year", rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", WEAK),
        Pattern("year of birth", r"(?<=\bborn in )(?:19|20)\d{2}\b", WEAK),
    ]
    CONTEXT = ["dob", "d.o.b", "birth", "born", "birthday", "bday", "b'day", "d/o/b"]

    def __init__(self) -> None:
        super().__init__(
            "DATE_OF_BIRTH", name="DateOfBirthRecognizer", patterns=self.PATTERNS, context=self.CONTEXT
        )


_STREET = (
    r"street|st|road|rd|avenue|ave|lane|ln|close|cl|drive|dr|way|court|ct|crescent|cres|place|pl"
    r"|grove|gardens|gdns|terrace|tce|hill|walk|row|square|sq|mews|parade|park|green|view|rise"
    r"|vale|wharf|yard|gate|mount|boulevard|croft|fold|bank|brow|chase|meadows?|circus|heights"
    r"|embankment|approach|grange|wynd|drove|lea|end"
)
_BUILDING = r"house|court|lodge|mansions|buildings|tower|point|heights|place|view|block|hall|close"
# Words that cannot be part of a street's name: "paid 20 quid at the park" is not an address.
_NOT_STREET_WORD = (
    r"(?:the|a|an|at|in|on|of|to|for|and|or|but|with|from|by|her|his|their|my|our|your|its|this"
    r"|that|other|more|each|every|some|any|no|same|one|two|three|pounds?|quid|weeks?|days?|months?"
    r"|years?|hours?|mins?|minutes?|times?|kids?|children|people|miles?|stops?|doors?|flights?|is|was"
    r"|are|were|has|had|been|be)\b"
)


class StreetAddressRecognizer(PatternRecognizer):
    """A house number and street, in any case: "27 rowan way", "Flat 3, 22 Keep Street", "14a
    Mill Lane". A street with no number ("mill lane") is a place, not an address, and is left."""

    PATTERNS = [
        Pattern(
            "street address",
            r"(?<![\w£$€.,/-])(?:(?:flat|apartment|apt|unit|room|maisonette)\.?\s*\d{1,4}[a-z]?,?\s+"
            rf"(?:(?:[a-z][\w'’-]*\s+){{1,3}}?(?:{_BUILDING}),?\s+)?)?"
            r"(?:(?:no\.?|number)\s*)?"
            rf"\d{{1,4}}[a-z]?\s+(?:the\s+|(?:(?!{_NOT_STREET_WORD})[a-z][\w'’.-]*\s+){{1,3}})(?:{_STREET})\b",
            STRONG,
        )
    ]

    def __init__(self) -> None:
        super().__init__(
            "UK_ADDRESS", name="StreetAddressRecognizer", patterns=self.PATTERNS, context=["lives", "address"]
        )
