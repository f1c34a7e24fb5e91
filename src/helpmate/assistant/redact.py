"""Replaces personal data with placeholders before text leaves this machine, and puts it back after.

A worker types what a citizen tells them: names, phone numbers, addresses, dates of birth. When a
reply is drafted by a language model that is *not* running on this machine, that text must not
carry the citizen's personal data with it. ``Redactor.redact`` swaps each piece for a numbered
placeholder (``[NAME_1]``, ``[PHONE_1]``, ``[EMAIL_1]``, ``[NINO_1]``, ``[DOB_1]``,
``[ADDRESS_1]``, ``[POSTCODE_1]``) and records what each stands for; ``Redactor.restore`` puts the
originals back into the model's answer before the worker sees it. Passing the same mapping on every
turn gives the same person the same placeholder for the whole conversation, so the model can follow
who is who without ever learning their name.

What is replaced:

* names: a title and surname ("Mrs Okafor", "Ms J. Smith", "Dr Patel"); two or three capitalised
  words in a row that are not at the start of a sentence and are not common words, days, months,
  places or organisations ("Aisha Khan"); a name introduced by "called", "named", "my name is" or a
  relation ("her son Jamie"); and, once known, later mentions of the same name;
* UK phone numbers (landline and mobile, spaced or not, ``+44`` forms), email addresses, National
  Insurance numbers, dates of birth when marked as such ("DOB 3/4/1950", "born 3 March 1950"),
  street addresses (house number and street: "Flat 3, 14 Hollins Road") and full UK postcodes.

Ages, ordinary dates ("on Tuesday", "last March"), money and other numbers are left alone. ``keep``
lists text that must survive untouched, compared case-insensitively (phone numbers by their digits):
service names, addresses and phone numbers from the directory records, and the local area and place
names, which the model has to be able to cite.

Limits: this is a heuristic, not a guarantee. Names typed without capitals ("mrs okafor", "john
smith"), single first names with no introduction, a name at the very start of a sentence, lowercase
street names, house names and foreign phone numbers are missed; unusual organisation or place names
may be taken for people's names unless they are passed in ``keep``. It lowers the risk of personal
data leaving the machine; it does not replace the worker's judgement about what to type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

KINDS = ("NAME", "PHONE", "EMAIL", "NINO", "DOB", "ADDRESS", "POSTCODE")

# ---------------------------------------------------------------------------------------- words

_UP = "A-ZÀ-ÖØ-Þ"
_LO = "a-zß-öø-ÿ"
# One capitalised name word: Smith, O'Brien, McDonald, Smith-Jones, Zoë.
_NAME_WORD = rf"(?:[{_UP}]['’])?[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?(?:-(?:[{_UP}]['’])?[{_UP}][{_LO}]+)*"
_WORD_RE = re.compile(rf"(?<![\w'’-]){_NAME_WORD}(?![\w-])")

_TITLES = ("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Professor", "Sir", "Dame", "Rev", "Revd")

_DAYS = {
    d + s
    for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    for s in ("", "s")
} | {"mon", "tue", "tues", "wed", "weds", "thu", "thur", "thurs", "fri", "sat", "sun"}

_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec",
}  # fmt: skip

_PLACES = {
    "london", "bristol", "scunthorpe", "birmingham", "manchester", "liverpool", "leeds",
    "sheffield", "bradford", "newcastle", "sunderland", "nottingham", "leicester", "coventry",
    "hull", "grimsby", "cleethorpes", "lincoln", "doncaster", "rotherham", "barnsley", "wakefield",
    "york", "scarborough", "middlesbrough", "durham", "carlisle", "preston", "blackpool", "bolton",
    "wigan", "stockport", "oldham", "salford", "derby", "stoke", "wolverhampton", "walsall",
    "dudley", "oxford", "cambridge", "norwich", "ipswich", "peterborough", "northampton", "luton",
    "reading", "slough", "southampton", "portsmouth", "brighton", "hove", "bournemouth", "poole",
    "exeter", "plymouth", "bath", "gloucester", "cheltenham", "swindon", "taunton", "cardiff",
    "swansea", "newport", "edinburgh", "glasgow", "aberdeen", "dundee", "inverness", "belfast",
    "derry", "england", "scotland", "wales", "ireland", "britain", "europe", "brigg", "barton",
    "epworth", "bottesford", "ashby", "crowle", "winterton", "kirton", "lindsey", "humber",
    "humberside", "lincolnshire", "yorkshire", "somerset", "avon", "gloucestershire", "kent",
    "essex", "surrey", "sussex", "devon", "cornwall", "dorset", "wiltshire", "clifton",
    "bedminster", "southmead", "knowle", "hartcliffe", "withywood", "easton", "fishponds",
    "kingswood", "filton", "redland", "bishopston", "horfield", "lockleaze", "stapleton",
    "brislington", "whitchurch", "hengrove", "stockwood", "avonmouth", "shirehampton", "henbury",
    "patchway", "montpelier", "totterdown", "bishopsworth", "westbury", "cotham", "kingsdown",
    "north", "south", "east", "west", "northern", "southern", "central", "upper", "lower",
    "great", "little", "old", "new", "saint", "st",
}  # fmt: skip

# Words that mark a run of capitalised words as an organisation, a service or a street, not a person.
_ORG_WORDS = {
    "advice", "citizens", "council", "service", "services", "centre", "center", "benefit",
    "benefits", "credit", "allowance", "payment", "payments", "pension", "pensions", "bank",
    "trust", "foundation", "society", "association", "housing", "hospital", "hospice", "surgery",
    "practice", "clinic", "health", "healthcare", "school", "academy", "college", "university",
    "church", "chapel", "mosque", "masjid", "temple", "gurdwara", "synagogue", "line", "helpline",
    "adviceline", "plus", "team", "group", "club", "project", "network", "partnership", "care",
    "support", "food", "foodbank", "pantry", "larder", "kitchen", "cafe", "café", "library",
    "hub", "office", "department", "agency", "authority", "board", "commission", "fund",
    "charity", "unit", "ward", "police", "fire", "ambulance", "tribunal", "jobcentre", "street",
    "road", "lane", "avenue", "close", "drive", "crescent", "terrace", "gardens", "square",
    "grove", "estate", "tower", "city", "county", "borough", "district", "town", "village",
    "community", "family", "families", "children", "youth", "mental", "disability", "carers",
    "aid", "relief", "shelter", "mind", "samaritans", "refuge", "crisis", "stepchange", "mencap",
    "scope", "macmillan", "oxfam", "cruse", "relate", "gingerbread", "childline", "healthwatch",
    "trussell", "salvation", "army", "tax", "energy", "water", "limited", "ltd", "plc",
    "universal", "independence", "attendance", "legal", "rights", "market", "civic", "general",
    "badge", "pass", "discount", "fuel", "grant", "scheme", "meals", "voucher", "vouchers", "card",
    "loan", "budgeting", "advance", "assessment", "appeal", "reconsideration", "statutory",
    "help", "early", "options", "wellbeing", "recovery", "independent", "access", "direct",
    "visitor", "nurse", "officer", "doctor", "emergency", "station", "pharmacy", "dentist",
    "leisure", "park", "shop", "store", "adult", "social", "people", "safeguarding", "therapy",
    "therapies", "space", "spaces", "places", "start", "badges", "haven", "solution", "connect",
    "women", "men", "veterans", "forces", "courage", "lives", "living", "learning", "house",
    "forum", "month", "grants", "valley", "programme", "course", "courses", "languages",
}  # fmt: skip

# Capitalised words that are not names: sentence openers, family words, festivals, languages.
_COMMON = {
    "i", "i'm", "i've", "i'd", "i'll", "he", "she", "they", "we", "you", "it", "he's", "she's",
    "they're", "we're", "it's", "his", "her", "hers", "their", "my", "our", "your", "the", "a",
    "an", "this", "that", "these", "those", "there", "then", "when", "what", "where", "who", "why",
    "how", "if", "but", "and", "or", "so", "also", "yes", "no", "not", "please", "thanks", "thank",
    "hi", "hello", "dear", "ok", "okay", "sorry", "maybe", "today", "tomorrow", "yesterday",
    "tonight", "morning", "afternoon", "evening", "christmas", "easter", "ramadan", "eid",
    "diwali", "mum", "mom", "dad", "nan", "nana", "gran", "granny", "grandma", "grandad",
    "grandpa", "auntie", "aunt", "uncle", "god", "covid", "google", "facebook", "whatsapp",
    "zoom", "tesco", "asda", "lidl", "aldi", "sainsbury's", "morrisons", "boots", "amazon",
    "post", "royal", "mail", "job", "pip", "english", "british", "welsh", "scottish", "irish",
    "polish", "romanian", "ukrainian", "syrian", "afghan", "somali", "eritrean", "sudanese",
    "iranian", "iraqi", "kurdish", "pakistani", "indian", "bangladeshi", "nigerian", "chinese",
    "arabic", "urdu", "punjabi", "bengali", "farsi", "pashto", "tigrinya", "portuguese",
    "spanish", "french", "lithuanian", "latvian", "slovak", "czech", "bulgarian", "hungarian",
    "turkish", "russian", "muslim", "christian", "hindu", "sikh", "jewish", "catholic",
    "called", "named", "does", "did", "has", "had", "is", "was", "will", "can", "could", "would",
    "should", "after", "before", "since", "because", "as", "at", "in", "on", "to", "for", "from",
    "with", "by", "about", "just", "still", "now", "here", "some", "any", "all", "every", "each",
    "breathing", "healthy", "talking", "changing", "shared", "making", "silent", "tell", "safe",
    "warm", "blue", "happy", "active", "better", "together", "once", "us", "op",
}  # fmt: skip

_STOP = _DAYS | _MONTHS | _PLACES | _COMMON | {t.lower() for t in _TITLES}

# Organisations and schemes that look like names; never redacted, whatever the caller keeps.
ORGANISATIONS = (
    "Citizens Advice", "Age UK", "NHS", "Universal Credit", "Jobcentre Plus", "Jobcentre",
    "Pension Credit", "Housing Benefit", "Council Tax", "Child Benefit", "Personal Independence Payment",
    "Attendance Allowance", "Carer's Allowance", "Employment and Support Allowance", "Salvation Army",
    "British Red Cross", "Red Cross", "Trussell Trust", "Samaritans", "Shelter", "StepChange",
    "Turn2us", "Mind", "Refuge", "Women's Aid", "Victim Support", "MoneyHelper", "Money Helper",
    "National Debtline", "Macmillan", "Marie Curie", "Alzheimer's Society", "Carers UK", "Mencap",
    "Barnardo's", "Childline", "NSPCC", "Home-Start", "Gingerbread", "Cruse", "Relate",
    "St Mungo's", "Healthwatch", "Social Services", "Adult Social Care", "Food Bank", "Post Office",
    "Royal Mail", "Department for Work and Pensions", "DWP", "HMRC", "Bristol City Council",
    "North Lincolnshire Council", "Big Issue", "Good Neighbours",
)  # fmt: skip

# --------------------------------------------------------------------------------------- patterns

_EMAIL = re.compile(r"(?<![\w.+'-])[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")

# "QQ 12 34 56 C" or "AB123456C"; lower case only when written without spaces.
_NINO = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]|(?i:[a-z]{2}\d{6}[a-d]))(?![A-Za-z0-9])"
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORD = r"(?:st|nd|rd|th)?"
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    r"|\d{4}-\d{2}-\d{2}"
    rf"|(?:the\s+)?\d{{1,2}}{_ORD}(?:\s+of)?\s+{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{1,2}}{_ORD},?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{4}})"
)
_DOB = re.compile(
    r"\b(?:d\.?o\.?b\b\.?|date\s+of\s+birth|birth\s*date|birthday|born)"
    r"(?:\s+(?:is|was|on|in))*\s*[:-]?\s*"
    rf"(?P<date>{_DATE})(?![\d/])",
    re.I,
)

# National (0...) or international (+44 / 0044, optionally "(0)") numbers; digits checked afterwards.
_PHONE = re.compile(
    r"(?<![\w+/.])(?:(?:\+|00)44[ -]?(?:\(0\)[ -]?)?\(?\d|\(?0\d)(?:[ -]?\)?[ -]?\d){8,9}(?![\d/])"
)

_STREET_TYPES = (
    r"(?:street|st|road|rd|avenue|ave|lane|ln|close|cl|drive|dr|way|court|ct|crescent|cres|place"
    r"|pl|grove|gardens|gdns|terrace|tce|hill|walk|row|square|sq|mews|parade|park|green|view|rise"
    r"|vale|wharf|yard|gate|mount|boulevard|croft|fold|bank|brow|chase|meadows?|circus|heights"
    r"|embankment|approach|grange|wynd)"
)
_ADDRESS = re.compile(
    r"(?<![\w£$€.,])(?:(?i:flat|apartment|apt|unit|room|maisonette)\.?\s+\d{1,4}[A-Za-z]?,?\s+)?"
    r"\d{1,4}[A-Za-z]?,?\s+"
    rf"(?:[{_UP}][\w'’.-]*\s+){{1,3}}"
    rf"(?i:{_STREET_TYPES})\b"
)

_POSTCODE_CORE = r"(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[ABD-HJLNP-UW-Z]{2}"
_POSTCODE = re.compile(rf"(?<![A-Za-z0-9]){_POSTCODE_CORE}(?![A-Za-z0-9])")
_POSTCODE_MARKED = re.compile(
    rf"(?i:post\s?code)\s*(?:is\s+)?[:-]?\s*(?P<pc>(?i:{_POSTCODE_CORE}))(?![A-Za-z0-9])"
)

_TITLE_NAME = re.compile(
    rf"(?<![\w'’-])(?:{'|'.join(_TITLES)}|mr|mrs|ms|dr)\.?\s+"
    rf"(?P<name>(?:[{_UP}]\.?\s+)*{_NAME_WORD}(?:\s+{_NAME_WORD})?)(?![\w-])"
)
_RELATIONS = (
    r"son|daughter|husband|wife|partner|mum|mother|dad|father|brother|sister|carer|friend|neighbour"
    r"|grandson|granddaughter|grandchild|nephew|niece|boyfriend|girlfriend|child|kid|baby|cousin"
    r"|aunt|auntie|uncle|landlord|landlady|lodger|fiancée?"
)
_INTRODUCED = re.compile(
    r"(?i:(?:\b(?:called|named|known\s+as|name\s+is|name's)|"
    r"(?:\b(?:her|his|their|my|your|our|the)\s+|\w['’]s\s+)"
    r"(?:(?:eldest|youngest|older|younger|little|big|late|ex|step|grand)[\s-]?)?"
    rf"(?:{_RELATIONS})),?\s+)"
    rf"(?P<name>{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}})(?![\w-])"
)

_PLACEHOLDER_KEY = re.compile(r"^\[([A-Z]+)_(\d+)\]$")
_KIND_ALT = "|".join(KINDS)
_RESTORE = re.compile(
    rf"\[{{1,2}}\s*(?P<k1>{_KIND_ALT})[\s_-]*(?P<n1>\d+)\s*\]{{0,2}}"
    rf"|\{{{{1,2}}\s*(?P<k2>{_KIND_ALT})[\s_-]*(?P<n2>\d+)\s*\}}{{1,2}}"
    rf"|<\s*(?P<k3>{_KIND_ALT})[\s_-]*(?P<n3>\d+)\s*>"
    rf"|(?<![A-Za-z0-9_])(?P<k4>{_KIND_ALT})(?P<sep>[ _-]?)(?P<n4>\d+)(?!\d)",
    re.I,
)


@dataclass
class Redaction:
    text: str  # the redacted text
    mapping: dict[str, str] = field(default_factory=dict)  # placeholder -> original


@dataclass(order=True)
class _Span:
    start: int
    end: int
    kind: str = field(compare=False)
    placeholder: str = field(default="", compare=False)


def _phone_digits(text: str) -> str | None:
    """The national significant number of a UK phone number, or None if it is not one."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44") and text.lstrip().startswith("+"):
        digits = digits[2:]
    if digits.startswith("0"):
        digits = digits[1:]
    if len(digits) not in (9, 10) or digits[0] not in "1235789":
        return None
    return digits


def _normal(kind: str, original: str) -> str:
    """The form two mentions of the same thing share: '07700 900123' and '07700900123' are one."""
    if kind == "PHONE":
        return _phone_digits(original) or re.sub(r"\D", "", original)
    if kind in ("POSTCODE", "NINO"):
        return re.sub(r"\s", "", original).upper()
    if kind == "DOB" and re.fullmatch(r"[\d/.-]+", original):
        return "/".join(str(int(part)) for part in re.split(r"[/.-]", original))
    text = original.casefold().replace(".", " ").replace(",", " ")
    return " ".join(text.split())


def _is_stop(word: str) -> bool:
    return word.lower().replace("’", "'") in _STOP


def _sentence_start(text: str, index: int) -> bool:
    before = text[:index].rstrip(" \t\"'“‘(")
    return not before or before[-1] in ".!?\n"


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    parts = sorted({p.strip() for p in phrases if len(p.strip()) >= 2}, key=len, reverse=True)
    if not parts:
        return None
    alternation = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in parts)
    return re.compile(rf"(?<![\w])(?:{alternation})(?![\w])", re.I)


class _Index:
    """Placeholders already given out, so the same thing keeps its placeholder."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping
        self.by_key: dict[tuple[str, str], str] = {}
        self.counts = dict.fromkeys(KINDS, 0)
        for placeholder, original in mapping.items():
            match = _PLACEHOLDER_KEY.match(placeholder)
            if not match:
                continue
            kind, number = match.group(1), int(match.group(2))
            self.counts[kind] = max(self.counts.get(kind, 0), number)
            self.by_key.setdefault((kind, _normal(kind, original)), placeholder)

    def placeholder(self, kind: str, original: str) -> str:
        key = (kind, _normal(kind, original))
        if key not in self.by_key:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            placeholder = f"[{kind}_{self.counts[kind]}]"
            self.mapping[placeholder] = original
            self.by_key[key] = placeholder
        return self.by_key[key]

    def name_aliases(self) -> list[tuple[str, str]]:
        """Known names, and titled names without the title ("Okafor" for "Mrs Okafor")."""
        aliases: dict[str, str] = {}
        for placeholder, original in self.mapping.items():
            if not placeholder.startswith("[NAME_"):
                continue
            forms = [original]
            titled = _TITLE_NAME.fullmatch(original)
            if titled:
                forms.append(titled.group("name"))
            for form in forms:
                form = " ".join(form.split())
                if len(form) >= 3 and not _is_stop(form):
                    aliases.setdefault(form, placeholder)
        return sorted(aliases.items(), key=lambda item: len(item[0]), reverse=True)


class Redactor:
    """Finds personal data in free text and swaps it for placeholders (see the module docstring)."""

    def __init__(self, keep: Iterable[str] = ()) -> None:
        kept = [k for k in keep if k and k.strip()]
        self._keep_words = {k.strip().lower() for k in kept}
        self._keep_phones = {d for k in kept if (d := _phone_digits(k)) and len(re.sub(r"\D", "", k)) >= 9}
        self._keep_text = [" ".join(k.casefold().split()) for k in kept]
        self._protect = _phrase_pattern([*ORGANISATIONS, *kept])

    # ------------------------------------------------------------------------------ public
    def redact(self, text: str, mapping: dict[str, str] | None = None) -> Redaction:
        """Replace personal data in ``text``; ``mapping`` (extended in place) carries across turns."""
        mapping = {} if mapping is None else mapping
        protected = [m.span() for m in self._protect.finditer(text)] if self._protect else []
        spans: list[_Span] = []

        def add(start: int, end: int, kind: str, placeholder: str = "") -> bool:
            if start >= end:
                return False
            # A name touching a kept phrase is part of it; anything else must lie inside one.
            if kind == "NAME" and any(start < e and s < end for s, e in protected):
                return False
            if kind != "NAME" and (
                any(s <= start and end <= e for s, e in protected) or self._kept(text[start:end])
            ):
                return False
            if any(start < sp.end and sp.start < end for sp in spans):
                return False
            spans.append(_Span(start, end, kind, placeholder))
            return True

        for m in _EMAIL.finditer(text):
            add(*m.span(), "EMAIL")
        for m in _NINO.finditer(text):
            add(*m.span(), "NINO")
        for m in _DOB.finditer(text):
            add(*m.span("date"), "DOB")
        for m in _PHONE.finditer(text):
            start = m.start() + (m.group().startswith("(") and ")" not in m.group())  # "(0808 ...)"
            digits = _phone_digits(m.group())
            if digits and digits not in self._keep_phones:
                add(start, m.end(), "PHONE")
        for m in _ADDRESS.finditer(text):
            add(*m.span(), "ADDRESS")
        for m in _POSTCODE_MARKED.finditer(text):
            add(*m.span("pc"), "POSTCODE")
        for m in _POSTCODE.finditer(text):
            add(*m.span(), "POSTCODE")
        for start, end in self._names(text):
            add(start, end, "NAME")

        index = _Index(mapping)
        for span in sorted(spans):
            span.placeholder = index.placeholder(span.kind, text[span.start : span.end])

        # Later mentions of a name already known, in this text or an earlier turn.
        for alias, placeholder in index.name_aliases():
            words = r"\s+".join(re.escape(w) for w in alias.split())
            flags = re.I if " " in alias else 0
            for m in re.finditer(rf"(?<![\w'’-]){words}(?![\w-])", text, flags):
                add(*m.span(), "NAME", placeholder)

        out: list[str] = []
        last = 0
        for span in sorted(spans):
            out.append(text[last : span.start])
            out.append(span.placeholder)
            last = span.end
        out.append(text[last:])
        return Redaction(text="".join(out), mapping=mapping)

    @staticmethod
    def restore(text: str, mapping: dict[str, str]) -> str:
        """Put the originals back, including placeholders a model wrote as "[Name_1]" or "NAME_1"."""

        def replace(m: re.Match[str]) -> str:
            i = next(i for i in "1234" if m.group(f"k{i}"))
            kind, number = m.group(f"k{i}"), m.group(f"n{i}")
            if i == "4" and m.group("sep") != "_" and not kind.isupper():
                return m.group()  # a bare "Name 1" is too likely to be ordinary words
            return mapping.get(f"[{kind.upper()}_{int(number)}]", m.group())

        return _RESTORE.sub(replace, text)

    def _kept(self, found: str) -> bool:
        """True when ``found`` is part of a kept entry, e.g. the street of a directory address."""
        needle = " ".join(found.casefold().split())
        return any(re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", kept) for kept in self._keep_text)

    # ------------------------------------------------------------------------------ names
    def _stop(self, word: str) -> bool:
        return _is_stop(word) or word.lower() in self._keep_words

    def _names(self, text: str) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for m in _TITLE_NAME.finditer(text):
            name = self._leading_name(text, m.start("name"), m.end("name"))
            if name:
                found.append((m.start(), name[0][1]))
        for m in _INTRODUCED.finditer(text):
            found.extend(self._leading_name(text, m.start("name"), m.end("name")))
        found.extend(self._pairs(text))
        return found

    def _leading_name(self, text: str, start: int, stop: int) -> list[tuple[int, int]]:
        """The name words in ``text[start:stop]`` up to the first that is not a name (initials kept)."""
        words = list(_WORD_RE.finditer(text, start, stop))
        if any(w.group().lower() in _ORG_WORDS for w in words):
            return []  # "called Wrenford Borough Council"
        end = start
        for w in words:
            if self._stop(w.group()):
                break
            end = w.end()
        return [(start, end)] if end > start and _WORD_RE.search(text, start, end) else []

    def _pairs(self, text: str) -> list[tuple[int, int]]:
        """Two or three capitalised name words in a row, not opening a sentence: "Aisha Khan"."""
        runs: list[list[re.Match[str]]] = []
        for w in _WORD_RE.finditer(text):
            if runs and re.fullmatch(r"[ \t]+", text[runs[-1][-1].end() : w.start()]):
                runs[-1].append(w)
            else:
                runs.append([w])
        found: list[tuple[int, int]] = []
        for run in runs:
            if any(w.group().lower() in _ORG_WORDS for w in run):
                continue
            if _sentence_start(text, run[0].start()):
                run = run[1:]
            segment: list[re.Match[str]] = []
            for word in [*run, None]:
                if word is not None and not self._stop(word.group()):
                    segment.append(word)
                    continue
                if 2 <= len(segment) <= 3:
                    found.append((segment[0].start(), segment[-1].end()))
                segment = []
        return found
