"""Keep a model's reply to what the directory actually says.

A worker reads the reply aloud or passes on a number while the citizen waits, so a made-up
service, phone number or web address does real harm: a wasted call, a missed service, or a
scam site. Language models invent such details readily, small local ones most of all. This
check runs on the finished text and removes every sentence that:

- cites ``[some-id]`` that is not one of the records the model was given;
- names a phone number whose digits match no number in those records' contact details (the
  phone, email, web and how-to-access fields, not the free-text description, where injected
  text would sit). Spacing, brackets and a ``+44`` prefix do not matter; the UK emergency and
  police numbers 999, 112, 111 and 101 are always allowed;
- names a web address or email address that is not in those contact details. A shorter form
  of a record's address (its bare domain) is fine; a made-up page on a real domain is not;
- cites records and gives a contact (number, email, address) that belongs to none of them: a
  real number attached to the wrong service misleads as much as a made-up one.

A record's name mentioned without an id is fine: names are not contact details and the app
shows the records themselves beside the reply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpmate.assistant.llm.composer import GroundRecord

ALWAYS_ALLOWED_NUMBERS = frozenset({"999", "112", "111", "101"})
"""Emergency (999, 112), NHS 111 and police non-emergency (101): safe to name anywhere in the UK."""

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.I)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'\])]+", re.I)
_TLDS = (
    "uk|com|org|net|gov|nhs|info|io|co|ac|sch|police|scot|wales|cymru|eu|me|app|dev|online|"
    "site|link|ly|us|ie|biz|example|test|invalid|localhost"
)
_DOMAIN = re.compile(rf"\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?:/[^\s<>\"'\])]*)?", re.I)
# A run of 7+ digits with optional +, spaces, dots, hyphens or brackets between groups.
_PHONE = re.compile(r"(?<![\w/+-])\+?\(?\d[\d\s().-]{5,}\d(?![\w/-])")
# Short numbers count only after a word that says they are a number to ring.
_SHORT_PHONE = re.compile(
    r"\b(?:call|phone|ring|dial|text|tel|telephone|helpline|freephone)\s*:?\s*(\d{3}(?:\s?\d{3})?)\b",
    re.I,
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_RANGE = re.compile(r"^\d{1,2}[.:]\d{2}\s*-\s*\d{1,2}[.:]\d{2}$")
_DOTTED_DATE = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
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
    found = []
    for match in _PHONE.finditer(text):
        raw = match.group(0).strip().rstrip(".-)")
        if _ISO_DATE.match(raw) or _TIME_RANGE.match(raw) or _DOTTED_DATE.match(raw):
            continue
        digits = _digits(raw)
        if 7 <= len(digits) <= 15:
            found.append(raw)
    found.extend(m.group(1) for m in _SHORT_PHONE.finditer(text))
    return found


def _urls(text: str) -> list[str]:
    text = _EMAIL.sub(" ", text)  # an email's domain is checked with the email
    found = [m.group(0) for m in _URL.finditer(text)]
    text = _URL.sub(" ", text)
    found.extend(m.group(0) for m in _DOMAIN.finditer(text))
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
