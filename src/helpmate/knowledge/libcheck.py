"""Checks of the library files other than records, for ``kb validate``: safeguarding routes first.

``kb validate`` once said "0 errors" over a ``safeguarding.yaml`` broken by hand, which
``suggest`` then refused to read; a route without its urgent line or numbers would show a worker
an alert with nothing to do. Every file helpmate reads is checked here, as the engine reads it:
``areas.<slug>.routes`` and ``default.routes``, each route a ``category``, an ``urgent`` line,
``steps`` and ``contacts`` (each a name and a phone).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from helpmate.errors import HelpmateError
from helpmate.knowledge.eligibility import text_disagrees
from helpmate.knowledge.injection import flagged_fields
from helpmate.knowledge.library import Problem, read_yaml
from helpmate.knowledge.records import Area, Need, Record

SAFEGUARDING = "safeguarding.yaml"


def safeguarding_problems(
    root: Path, area_slugs: Collection[str], categories: Collection[str] = ()
) -> list[Problem]:
    """Problems of ``safeguarding.yaml``. ``categories``, when given, are the alert categories the
    engine raises: a route for another is never shown, and one the default lacks has no fallback."""
    path = root / SAFEGUARDING
    if not path.exists():
        return [
            _error(
                SAFEGUARDING,
                "missing: safeguarding alerts would show no route to follow; "
                "run 'helpmate kb init' to add the template, then fill in the local numbers",
            )
        ]
    try:
        data = read_yaml(path)
    except HelpmateError as exc:
        where, _, message = exc.message.partition(": ")
        return [_error(SAFEGUARDING, f"{message or where} (suggest and the chat refuse to start)")]
    if not isinstance(data, dict):
        return [_error(SAFEGUARDING, "expected a mapping with 'areas' and 'default' at the top")]
    problems: list[Problem] = []
    sections: list[tuple[str, Any]] = []
    areas = data.get("areas") or {}
    if not isinstance(areas, dict):
        problems.append(_error(SAFEGUARDING, "'areas' should map area slugs to their routes"))
        areas = {}
    for slug, body in areas.items():
        where = f"{SAFEGUARDING}: areas.{slug}"
        if str(slug) not in area_slugs:
            problems.append(
                _warning(where, "routes for an area no record or areas.yaml entry has (a misspelt slug?)")
            )
        sections.append((where, body))
    if "default" not in data:
        problems.append(
            _warning(SAFEGUARDING, "no 'default' routes: an area without a local route shows none")
        )
    else:
        sections.append((f"{SAFEGUARDING}: default", data.get("default")))
    for where, body in sections:
        problems += _section(where, body, categories)
    default = data.get("default")
    routes = (default.get("routes") if isinstance(default, dict) else None) or []
    have = {r.get("category") for r in routes if isinstance(r, dict)} if isinstance(routes, list) else set()
    for category in categories:
        if "default" in data and category not in have:
            problems.append(
                _warning(
                    f"{SAFEGUARDING}: default",
                    f"no route for '{category}': an area without its own shows nothing for it",
                )
            )
    return problems


def _section(where: str, body: Any, categories: Collection[str]) -> list[Problem]:
    routes = body.get("routes") if isinstance(body, dict) else None
    if not isinstance(routes, list) or not routes:
        return [_error(where, "expected 'routes:' followed by a list of routes")]
    problems = []
    seen: Counter[str] = Counter()
    for number, route in enumerate(routes, start=1):
        at = f"{where}.routes item {number}"
        if not isinstance(route, dict):
            problems.append(_error(at, "a route should be a mapping with category, urgent, steps, contacts"))
            continue
        category = route.get("category")
        if not isinstance(category, str) or not category.strip():
            problems.append(_error(at, "no 'category': the route is never shown"))
            continue
        at = f"{where}.routes {category}"
        seen[category] += 1
        if seen[category] == 2:
            problems.append(_warning(at, "listed twice: only the first is shown"))
        if categories and category not in categories:
            problems.append(
                _warning(at, f"not a category helpmate raises ({', '.join(categories)}): never shown")
            )
        problems += _route(at, route)
    return problems


def _route(at: str, route: dict[str, Any]) -> list[Problem]:
    problems = []
    if not isinstance(route.get("urgent"), str) or not route["urgent"].strip():
        problems.append(_error(at, "no 'urgent' line: the first thing a worker reads in an alert"))
    steps = route.get("steps")
    if not isinstance(steps, list) or not steps or not all(isinstance(s, str) and s.strip() for s in steps):
        problems.append(_error(at, "'steps' should be a list of what to do, in order"))
    contacts = route.get("contacts")
    if not isinstance(contacts, list) or not contacts:
        problems.append(_error(at, "no 'contacts': the alert would give no number to call"))
        return problems
    for number, contact in enumerate(contacts, start=1):
        if not isinstance(contact, dict) or not all(
            isinstance(contact.get(k), (str, int)) and str(contact.get(k)).strip() for k in ("name", "phone")
        ):
            problems.append(_error(at, f"contact {number} needs a 'name' and a 'phone'"))
    return problems


def notices_problems(root: Path, record_ids: Collection[str]) -> list[Problem]:
    """Problems of ``notices.yaml``: a broken file (the chat then shows no notice at all) is an
    error; a notice on a record the library no longer has is a warning, since nobody will see it."""
    from helpmate.knowledge.notices import FILENAME, load_notices

    try:
        notices = load_notices(root)
    except HelpmateError as exc:
        message = exc.message.removeprefix(f"{root / FILENAME}: ")
        return [Problem("error", FILENAME, f"{message}; {exc.hint}" if exc.hint else message, "file")]
    return [
        Problem(
            "warning",
            f"{FILENAME}: {record}",
            f"a notice on a record the library does not have; 'helpmate kb notice --clear {record}'",
        )
        for record in sorted(notices)
        if record not in record_ids
    ]


def taxonomy_problems(needs: Iterable[Need], areas: Iterable[Area]) -> list[Problem]:
    """Ids a person might have copied twice in needs.yaml or areas.yaml (the second is unreachable)."""
    problems = []
    for label, file, ids in (
        ("need", "needs.yaml", [n.id for n in needs]),
        ("area", "areas.yaml", [a.slug for a in areas]),
    ):
        for ident, count in Counter(ids).items():
            if count > 1:
                problems.append(
                    Problem("error", f"{file}: {label} {ident}", f"listed {count} times", "schema")
                )
    return problems


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", re.I)
_US_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


def record_problems(
    record: Record, where: str, known: Collection[str] | None, today: dt.date
) -> list[Problem]:
    """One record's problems: its need tags (when the library has a taxonomy, ``known``), who it
    is for against its own text, its review date, its contacts and any instructions to the
    assistant hidden in any field (a safety warning: that text is withheld from the model)."""
    problems = []
    if known is not None:
        unknown = [n for n in record.all_needs() if n not in known]
        if unknown:
            message = f"unknown need tags {unknown}; see needs.yaml for the ids"
            problems.append(Problem("error", where, message, "unknown-need"))
        unknown = [n for n in record.eligibility.only_for if n not in known]
        if unknown:
            message = f"eligibility only_for has unknown need ids {unknown}; see needs.yaml"
            problems.append(Problem("error", where, message, "unknown-need"))
    for message in text_disagrees(record):
        problems.append(Problem("warning", where, message, "eligibility"))
    if record.review_due and record.review_due < today:
        message = f"review overdue since {record.review_due}"
        problems.append(Problem("warning", where, message, "review-overdue"))
    for message in contact_problems(record):
        problems.append(Problem("warning", where, message, "contact"))
    flagged = flagged_fields(record)
    if flagged:
        message = (
            f"{', '.join(flagged)} {'gives' if len(flagged) == 1 else 'give'} instructions to the "
            "assistant (a prompt injection?): that text is never quoted in a reason nor sent to a "
            "language model; edit it"
        )
        problems.append(Problem("warning", where, message, "injection"))
    return problems


def contact_problems(record: Record) -> list[str]:
    """Contact details that cannot be right (warnings: a person should look)."""
    found = []
    phone = record.contact.phone
    if phone:
        digits = re.sub(r"\D", "", phone.split("ext")[0].split("x")[0])
        if not 3 <= len(digits) <= 15 or re.search(r"[A-Za-z]{3,}", phone.replace("ext", "")):
            found.append(f"phone '{phone}' does not look like a phone number")
    if record.contact.email and not _EMAIL.match(record.contact.email):
        found.append(f"email '{record.contact.email}' is not an email address")
    url = record.contact.url
    if url and (not url.startswith(("http://", "https://")) or " " in url or "." not in url):
        found.append(f"url '{url}' is not a web address (it should start with https://)")
    if record.postcode and not (_POSTCODE.match(record.postcode) or _US_ZIP.match(record.postcode)):
        found.append(f"postcode '{record.postcode}' is not a postcode")
    ages = record.eligibility
    if ages.min_age is not None and ages.max_age is not None and ages.min_age > ages.max_age:
        found.append(f"eligibility ages {ages.min_age}-{ages.max_age} are the wrong way round")
    return found


def _error(where: str, message: str) -> Problem:
    return Problem("error", where, message, "safeguarding")


def _warning(where: str, message: str) -> Problem:
    return Problem("warning", where, message, "safeguarding")
