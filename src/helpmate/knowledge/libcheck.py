"""Checks of the library files other than records, for ``kb validate``: safeguarding routes first.

``kb validate`` once said "0 errors" over a ``safeguarding.yaml`` broken by hand, which
``suggest`` then refused to read; a route without its urgent line or numbers would show a worker
an alert with nothing to do. Every file helpmate reads is checked here, as the engine reads it:
``areas.<slug>.routes`` and ``default.routes``, each route a ``category``, an ``urgent`` line,
``steps`` and ``contacts`` (each a name and a phone).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from helpmate.errors import HelpmateError
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
