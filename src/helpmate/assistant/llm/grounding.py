"""Keep a model's reply to what the directory actually says.

A worker reads the reply aloud or passes on a number while the citizen waits, so a made-up
service, phone number or web address does real harm: a wasted call, a missed service, or a
scam site. Language models invent such details readily, small local ones most of all. This
check runs on the finished text and removes every sentence that:

- cites ``[some-id]`` that is not one of the records the model was given;
- names a phone number whose digits match no number in those records' contact details (the
  phone, email, web and how-to-access fields, not the free-text description, where injected
  text would sit). Separators do not matter (spaces, dots, slashes, brackets, every kind of
  dash), nor do a ``+44`` or ``(0)``; a number counts in any of the forms a model writes: 7 to 15
  digits anywhere, a short number after a word such as "call" or "text", an SMS short code
  ("text HELP to 80800"). The UK emergency and police numbers 999, 112, 111 and 101 are always
  allowed;
- names a web address or email address that is not in those contact details, whatever its
  ending (``debthelp.xyz`` as much as ``.org.uk``) and with or without ``https://`` or ``www.``.
  A shorter form of a record's address (its bare domain) is fine; a made-up page on a real
  domain is not;
- cites records and gives a contact (number, email, address) that belongs to none of them: a
  real number attached to the wrong service misleads as much as a made-up one.

A record whose text instructs the assistant (``withheld``) gives no contacts at all: the model
was not shown them, so any of them in a reply came from somewhere else.

A record's name mentioned without an id is fine: names are not contact details and the app
shows the records themselves beside the reply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from helpmate.assistant.llm.records import GroundRecord, withheld

ALWAYS_ALLOWED_NUMBERS = frozenset({"999", "112", "111", "101"})
"""Emergency (999, 112), NHS 111 and police non-emergency (101): safe to name anywhere in the UK."""

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.I)
_URL = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s<>\"'\])]+", re.I)
# Any domain shape: labels and dots ending in letters ("debthelp.xyz", "help.org.uk"), with an
# optional path. An ending that starts with a capital ("lonely.She") is a missing space, and file
# names are not web addresses.
_DOMAIN = re.compile(
    r"(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?P<tld>[a-z]{2,24}|xn--[a-z0-9-]{2,59})\b"
    r"(?![@-])(?:/[^\s<>\"'\])]*)?",
    re.I,
)
_DOCUMENTS = {"pdf", "doc", "docx", "xls", "xlsx", "csv", "txt", "odt", "rtf", "ppt", "pptx", "html", "htm"}
_NOT_TLDS = frozenset({*_DOCUMENTS, "jpg", "jpeg", "png", "gif", "eg", "ie", "am", "pm", "etc", "ps"})
# Every dash, slash and space a number may be written with, read as a plain hyphen or space.
_SEPARATORS = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
        **dict.fromkeys("\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a", " "),
        **dict.fromkeys("\u202f\u205f\u3000", " "),
        **dict.fromkeys("\u2044\u2215\uff0f", "/"),
    }
)
# A run of 7+ digits with optional +, spaces, dots, slashes, hyphens or brackets between groups.
_PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d\s()./-]{5,}\d(?!\w)")
# Short numbers (3 to 6 digits) count after a word that says they are a number to ring or text.
_SHORT_PHONE = re.compile(
    r"\b(?:call|calling|phone|ring|dial|text|texting|sms|tel|telephone|helpline|freephone|whatsapp)\b"
    r"\.?\s*:?\s*(?:us\s+)?(?:on\s+|at\s+)?(\d{3}(?:[\s-]?\d{3})?|\d{4,6})(?![\d/.:]?\d)",
    re.I,
)
# An SMS short code: "text HELP to 80800", "SMS the word SHOUT to 85258".
_SMS_CODE = re.compile(
    r"\b(?:text|texting|txt|sms|message|send)\b[^.!?\n]{0,40}?\bto\s+(\d{4,6})(?![\d/.:]?\d)", re.I
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RANGE = re.compile(r"^\d{1,2}[.:]\d{2}\s*-\s*\d{1,2}[.:]\d{2}$")
_DOTTED_DATE = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_YEAR_RANGE = re.compile(r"^(?:19|20)\d\d\s*[/-]\s*(?:19|20)\d\d$")
_CITATION = re.compile(r"\[([^\[\]\n]{1,200})\](?!\()")
_ID_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]*$")
_PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*$")  # [NAME], [PHONE_1]: redaction placeholders
_BULLET = re.compile(r"^(\s*(?:[-*\u2022]|\d{1,2}[.)])\s+)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_TRAILING = ".,;:!?)]}'\"*_"


def _contact_fields(record: GroundRecord) -> list[str]:
    """Where a record's contacts may come from: not its name or free-text description.

    A description is the feed's prose and the likeliest place for injected text ("tell them
    to ring 0900 ..."); ``how_to_access`` is kept because real records give out-of-hours and
    helpline numbers there.
    """
    return [record.phone, record.email, record.url, record.how_to_access]


def _digits(text: str) -> str:
    text = text.replace("(0)", "")  # +44 (0)1632 ...: the 0 is dialled only from inside the UK
    digits = re.sub(r"\D", "", text)
    if text.strip().startswith("+44") or digits.startswith("0044"):
        digits = "0" + digits[4 if digits.startswith("0044") else 2 :]
    return digits


def _norm_url(url: str) -> str:
    url = url.strip().rstrip(_TRAILING).lower()
    url = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url)
    url = url.removeprefix("www.")
    return url.rstrip("/")


def _phones(text: str) -> list[str]:
    """Every phone number a text gives, in whatever form; web and email addresses are taken out
    first, so digits in a page address are not a number."""
    text = text.translate(_SEPARATORS)
    text = _URL.sub(" ", _EMAIL.sub(" ", text))
    text = _DOMAIN.sub(lambda m: " " if _is_domain(m) else m.group(0), text)
    found = []
    for match in _PHONE.finditer(text):
        raw = match.group(0).strip().rstrip(".-)")
        if any(p.match(raw) for p in (_ISO_DATE, _TIME_RANGE, _DOTTED_DATE, _YEAR_RANGE)):
            continue
        digits = _digits(raw)
        if 7 <= len(digits) <= 15:
            found.append(raw)
    long_digits = {_digits(p) for p in found}
    for pattern in (_SHORT_PHONE, _SMS_CODE):
        for short in pattern.finditer(text):
            if _digits(short.group(1)) not in long_digits and not any(
                _digits(short.group(1)) in d for d in long_digits
            ):
                found.append(short.group(1))
    return found


def _is_domain(match: re.Match[str]) -> bool:
    """A domain-shaped run is a web address unless its ending is a file type or an abbreviation,
    or starts with a capital with nothing but a bare name before it (a missing space: "lonely.She")."""
    tld = match.group("tld")
    if tld.lower() in _NOT_TLDS:
        return False
    whole = match.group(0)
    return not (tld[0].isupper() and whole.count(".") == 1 and "/" not in whole)


def _urls(text: str) -> list[str]:
    text = _EMAIL.sub(" ", text.translate(_SEPARATORS))  # an email's domain is checked with the email
    text = re.sub(r"\s*(?:\[\.\]|\(\.\)|\[dot\]|\(dot\))\s*", ".", text, flags=re.I)  # "debthelp[.]xyz"
    found = [m.group(0) for m in _URL.finditer(text)]
    text = _URL.sub(" ", text)
    found.extend(m.group(0) for m in _DOMAIN.finditer(text) if _is_domain(m))
    return [u.rstrip(_TRAILING) for u in found]


def _citations(text: str) -> list[str]:
    ids = []
    for match in _CITATION.finditer(text):
        for part in re.split(r"[,;]|\s+and\s+", match.group(1)):
            token = part.strip().strip("`'\"")
            if token.lower().startswith("id:"):
                token = token[3:].strip()
            if token and _ID_SHAPE.match(token) and not _PLACEHOLDER.match(token):
                ids.append(token)
    return ids


class _Contacts:
    """The phone numbers (as digits), emails and web addresses some records give."""

    def __init__(self) -> None:
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.urls: set[str] = set()

    def add(self, record: GroundRecord) -> None:
        if record.phone.strip():
            self.phones.add(_digits(record.phone))
        if record.email.strip():
            self.emails.add(record.email.strip().lower())
        if record.url.strip():
            self.urls.add(_norm_url(record.url))
        for text in _contact_fields(record):
            self.phones.update(_digits(p) for p in _phones(text))
            self.emails.update(e.lower() for e in _EMAIL.findall(text))
            self.urls.update(_norm_url(u) for u in _urls(text))
        self.urls.discard("")

    def update(self, other: _Contacts) -> None:
        self.phones |= other.phones
        self.emails |= other.emails
        self.urls |= other.urls

    def has_phone(self, phone: str) -> bool:
        digits = _digits(phone)
        return digits in ALWAYS_ALLOWED_NUMBERS or digits in self.phones

    def has_email(self, email: str) -> bool:
        return email.lower().rstrip(_TRAILING) in self.emails

    def has_url(self, url: str) -> bool:
        candidate = _norm_url(url)
        return any(known == candidate or known.startswith(candidate + "/") for known in self.urls)


class _Known:
    """Everything the records allow the reply to name, and which record gives which contact."""

    def __init__(self, records: Iterable[GroundRecord]) -> None:
        self.by_id: dict[str, _Contacts] = {}
        self.all = _Contacts()
        for record in records:
            contacts = self.by_id.setdefault(record.id.strip().lower(), _Contacts())
            if withheld(record):
                continue  # it may be cited, but none of its contacts came from the prompt
            contacts.add(record)
            self.all.update(contacts)

    def problem(self, sentence: str) -> str:
        """Why ``sentence`` may not stay, or "" when it may."""
        cited = _citations(sentence)
        for record_id in cited:
            if record_id.lower() not in self.by_id:
                return f"unknown record [{record_id}]"
        # A sentence that cites records may only give those records' contacts: a real number
        # attached to the wrong service sends the citizen to the wrong place just as surely.
        scope = self.all
        if cited:
            scope = _Contacts()
            for record_id in cited:
                scope.update(self.by_id[record_id.lower()])
        whose = "not the contact of " + ", ".join(f"[{c}]" for c in cited)
        for phone in _phones(sentence):
            if not self.all.has_phone(phone):
                return f"phone number {phone} not in the directory"
            if not scope.has_phone(phone):
                return f"phone number {phone} {whose}"
        for email in _EMAIL.findall(sentence):
            if not self.all.has_email(email):
                return f"email {email} not in the directory"
            if not scope.has_email(email):
                return f"email {email} {whose}"
        for url in _urls(sentence):
            if not self.all.has_url(url):
                return f"web address {url} not in the directory"
            if not scope.has_url(url):
                return f"web address {url} {whose}"
        return ""


def _sentences(body: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(body) if s.strip()]


def check(text: str, records: Sequence[GroundRecord]) -> tuple[str, list[tuple[str, str]]]:
    """Like ``ground``, but each removal comes with its reason: ``(sentence, reason)``."""
    known = _Known(records)
    kept_lines: list[str] = []
    removed: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            kept_lines.append("")
            continue
        bullet_match = _BULLET.match(line)
        bullet = bullet_match.group(1) if bullet_match else ""
        kept: list[str] = []
        dropped = False
        for sentence in _sentences(line[len(bullet) :]):
            reason = known.problem(sentence)
            if reason:
                removed.append((sentence.strip(), reason))
                dropped = True
            else:
                kept.append(sentence.strip())
        if kept:
            kept_lines.append(bullet + " ".join(kept) if dropped else line.rstrip())
    # Drop blank lines left at the ends or doubled up by removals.
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(kept_lines)).strip()
    return result, removed


def ground(text: str, records: Sequence[GroundRecord]) -> tuple[str, list[str]]:
    """``text`` without any sentence naming an id, phone number, email or URL not in ``records``.

    Returns the grounded text and the sentences taken out, in order.
    """
    grounded, removed = check(text, records)
    return grounded, [sentence for sentence, _ in removed]
