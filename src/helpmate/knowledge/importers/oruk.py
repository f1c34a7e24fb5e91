"""Open Referral UK (ORUK v1) JSON: the service list, a page of it, or one full service record.

Accepted shapes:

- a list of service objects (the ``/services`` list endpoint, pages concatenated);
- a page object ``{"content": [...], "totalElements": ...}``;
- a single full service (``/services/{id}``) with ``service_at_locations``, ``eligibilitys``,
  ``regular_schedules``, ``contacts``, ``languages`` and ``cost_options``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from helpmate.errors import HelpmateError
from helpmate.knowledge.eligibility import read_eligibility
from helpmate.knowledge.importers.base import (
    Draft,
    FeedRead,
    SkipRecord,
    age,
    list_field,
    mapping_field,
    parse_date,
    text_field,
)
from helpmate.knowledge.text import clean_text

REVIEW_INTERVAL = dt.timedelta(days=365)


def _load_json(path: Path) -> Any:
    if path.is_dir():
        raise HelpmateError(
            f"{path}: is a folder; --format oruk reads one JSON file", hint="name the .json file"
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise HelpmateError(f"{path}: file not found", hint="check the path") from exc
    if not raw.strip():
        raise HelpmateError(f"{path}: the file is empty", hint="export the feed again")
    if b"\x00" in raw[:4096] or raw[:4] in (b"PK\x03\x04", b"\x1f\x8b\x08\x00"):
        raise HelpmateError(
            f"{path}: this is a binary file, not ORUK JSON", hint="for an HSDS zip use --format hsds"
        )
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise HelpmateError(
            f"{path}: not UTF-8 text (byte {exc.start})", hint="save the feed as UTF-8"
        ) from exc
    except json.JSONDecodeError as exc:
        raise HelpmateError(
            f"{path}: line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg}); the file may be truncated",
            hint="download or export the feed again",
        ) from exc


def _services(data: Any, path: Path) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if isinstance(data.get("content"), list):
            return data["content"]
        if "id" in data and "name" in data:
            return [data]
    kind = (
        type(data).__name__ if not isinstance(data, dict) else "an object without 'content', 'id' or 'name'"
    )
    raise HelpmateError(
        f"{path}: expected a list of ORUK services (or a page with 'content', or one service), found {kind}",
        hint="check that this is an Open Referral UK services feed",
    )


def _schedule_text(schedules: list[Any]) -> str:
    lines = []
    for item in schedules:
        if not isinstance(item, dict):
            continue
        desc = clean_text(item.get("description"))
        days = clean_text(item.get("byday"))
        opens, closes = clean_text(item.get("opens_at"))[:5], clean_text(item.get("closes_at"))[:5]
        line = " ".join(p for p in [days, f"{opens}-{closes}" if opens and closes else "", desc] if p)
        if line and line not in lines:
            lines.append(line)
    return "; ".join(lines)


def _full_details(item: dict[str, Any]) -> dict[str, Any]:
    """Fields only a full service record carries (locations, eligibility, schedules, contacts)."""
    out: dict[str, Any] = {}
    eligibility_text: list[str] = []
    min_ages: list[int] = []
    max_ages: list[int] = []
    for elig in list_field(item, "eligibilitys"):
        if isinstance(elig, dict):
            if elig.get("eligibility"):
                eligibility_text.append(clean_text(elig["eligibility"]))
            lowest, highest = age(elig.get("minimum_age")), age(elig.get("maximum_age"))
            if lowest is not None:
                min_ages.append(lowest)
            if highest is not None:
                max_ages.append(highest)
    if eligibility_text or min_ages or max_ages:
        out["eligibility"] = {
            "text": "; ".join(eligibility_text),
            "min_age": min(min_ages) if min_ages else None,
            "max_age": max(max_ages) if max_ages else None,
        }
    schedules = list(list_field(item, "regular_schedules"))
    addresses, postcodes, access = [], [], []
    for link in list_field(item, "service_at_locations"):
        if not isinstance(link, dict):
            continue
        schedules.extend(list_field(link, "regular_schedules"))
        location = mapping_field(link, "location")
        for addr in list_field(location, "physical_addresses"):
            if isinstance(addr, dict):
                parts = [
                    clean_text(addr.get(k)) for k in ("address_1", "address_2", "city", "state_province")
                ]
                addresses.append(", ".join(p for p in parts if p))
                if addr.get("postal_code"):
                    postcodes.append(clean_text(addr["postal_code"]))
        for acc in list_field(location, "accessibility_for_disabilities"):
            if isinstance(acc, dict) and acc.get("accessibility"):
                access.append(clean_text(acc["accessibility"]))
    if addresses:
        out["address"] = addresses[0]
    if postcodes:
        out["postcode"] = postcodes[0].upper()
    if access:
        out["accessibility"] = "; ".join(dict.fromkeys(access))
    if schedules:
        out["opening_times"] = _schedule_text(schedules)
    phones = []
    for contact in list_field(item, "contacts"):
        if isinstance(contact, dict):
            phones += [p.get("number") for p in list_field(contact, "phones") if isinstance(p, dict)]
    phones += [p.get("number") for p in list_field(item, "phones") if isinstance(p, dict)]
    phones = [clean_text(p) for p in phones if p]
    if phones:
        out["phone"] = phones[0]
    languages = [clean_text(x.get("language")) for x in list_field(item, "languages") if isinstance(x, dict)]
    if languages:
        out["languages"] = [x for x in dict.fromkeys(languages) if x]
    costs = []
    for cost in list_field(item, "cost_options"):
        if isinstance(cost, dict):
            amount = clean_text(cost.get("amount"))
            text = clean_text(cost.get("amount_description") or cost.get("option"))
            costs.append(" ".join(p for p in [f"£{amount}" if amount else "", text] if p))
    if costs:
        out["cost"] = "; ".join(c for c in costs if c)
    areas = [
        clean_text(a.get("service_area")) for a in list_field(item, "service_areas") if isinstance(a, dict)
    ]
    out["service_areas"] = [a for a in areas if a]
    taxonomy = []
    for st in list_field(item, "service_taxonomys"):
        if isinstance(st, dict):
            taxonomy.append(clean_text(mapping_field(st, "taxonomy").get("name")))
    out["taxonomy"] = " ".join(taxonomy)
    return out


def _draft(item: Any) -> Draft:
    if not isinstance(item, dict):
        raise SkipRecord(f"expected a service object, found {type(item).__name__}")
    source_id = text_field(item, "id").strip()
    if not source_id:
        raise SkipRecord("no id")
    name = clean_text(text_field(item, "name"))
    if not name:
        raise SkipRecord("no name")
    org = mapping_field(item, "organization")
    details = _full_details(item)
    description = clean_text(text_field(item, "description"))
    given = details.pop("eligibility", {})
    # Who it is for: the feed's own ages kept, the rest read from the words (knowledge/eligibility.py).
    eligibility = read_eligibility(
        name,
        given.get("text", ""),
        description,
        min_age=given.get("min_age"),
        max_age=given.get("max_age"),
    )
    meta = mapping_field(item, "pc_metadata")
    assured = parse_date(text_field(item, "assured_date")) or parse_date(text_field(meta, "date_assured"))
    audiences = []
    for aud in list_field(item, "pc_targetAudience"):
        if isinstance(aud, dict) and aud.get("audienceType"):
            audiences.append(str(aud["audienceType"]).split(">")[-1].strip().lower())
    access = [
        clean_text(text_field(item, key))
        for key in (
            "attending_type",
            "attending_access",
            "pc_attendingAccess_additionalInfo",
            "deliverable_type",
        )
    ]
    fields: dict[str, Any] = {
        "name": name,
        "description": description,
        "eligibility": eligibility,
        "organisation": clean_text(text_field(org, "name")),
        "audiences": list(dict.fromkeys(a for a in audiences if a)),
        "contact": {
            "phone": details.pop("phone", ""),
            "email": clean_text(text_field(item, "email")),
            "url": clean_text(text_field(item, "url")),
        },
        "how_to_access": "; ".join(dict.fromkeys(a for a in access if a)),
        "cost": clean_text(text_field(item, "fees")) or details.pop("cost", ""),
        "last_reviewed": assured,
        "review_due": assured + REVIEW_INTERVAL if assured else None,
    }
    details.pop("cost", None)
    taxonomy = details.pop("taxonomy", "")
    details.pop("service_areas", None)
    fields.update(details)
    modified = text_field(meta, "date_modified") or text_field(item, "assured_date")
    return Draft(source_id, fields, modified=modified, extra_text=taxonomy)


def read_oruk(path: Path) -> FeedRead:
    result = FeedRead()
    for index, item in enumerate(_services(_load_json(path), path), start=1):
        try:
            result.drafts.append(_draft(item))
        except SkipRecord as exc:
            ident = item.get("id") if isinstance(item, dict) else None
            result.skipped.append((f"item {index}" + (f" (id {ident})" if ident else ""), str(exc)))
    return result
