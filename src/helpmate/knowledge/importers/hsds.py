"""HSDS 1.x tabular data packages: a folder or a zip with ``datapackage.json`` and CSV files.

``services.csv`` and ``organizations.csv`` are required; the other tables (phones, locations,
addresses, schedules, languages, accessibility, taxonomy, eligibility) are joined in when present.
The Miami 2-1-1 extract's eligibility rows have no service id, so its eligibility text cannot be
joined; who each service is for is then read from its name and description alone.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from helpmate.errors import HelpmateError
from helpmate.knowledge.eligibility import read_eligibility
from helpmate.knowledge.importers.base import Draft, FeedRead, SkipRecord, tidy_name
from helpmate.knowledge.text import clean_text

REQUIRED = {"services": ["id", "name"], "organizations": ["id", "name"]}
TABLES = {
    "services": "service",
    "organizations": "organization",
    "phones": "phone",
    "locations": "location",
    "physical_addresses": "physical_address",
    "services_at_location": "service_at_location",
    "regular_schedules": "regular_schedule",
    "languages": "language",
    "accessibility_for_disabilities": "accessibility_for_disabilities",
    "services_taxonomy": "service_taxonomy",
    "taxonomy": "taxonomy",
    "eligibility": "eligibility",
}

# Columns read but not required, and what stays empty without them: a package missing one imports,
# but says so (without phones.number the Miami package's 4,067 phone numbers became none, silently).
READS: dict[str, dict[str, str]] = {
    "services": {
        "organization_id": "organisation",
        "description": "description",
        "url": "web address",
        "email": "email",
        "application_process": "how to access",
        "fees": "cost",
    },
    "organizations": {"url": "web address"},
    "phones": {"service_id": "phone", "number": "phone"},
    "services_at_location": {"service_id": "address", "location_id": "address"},
    "physical_addresses": {
        "location_id": "address",
        "address_1": "address",
        "city": "address",
        "postal_code": "postcode",
    },
    "regular_schedules": {"service_id": "opening times"},
    "languages": {"service_id": "languages", "language": "languages"},
    "accessibility_for_disabilities": {"location_id": "accessibility", "accessibility": "accessibility"},
    "services_taxonomy": {"service_id": "suggested needs", "taxonomy_id": "suggested needs"},
    "taxonomy": {"id": "suggested needs", "name": "suggested needs"},
}
_FIELDS: dict[str, Any] = {
    "organisation": lambda f: f["organisation"],
    "description": lambda f: f["description"],
    "web address": lambda f: f["contact"]["url"],
    "email": lambda f: f["contact"]["email"],
    "phone": lambda f: f["contact"]["phone"],
    "how to access": lambda f: f["how_to_access"],
    "cost": lambda f: f["cost"],
    "address": lambda f: f["address"],
    "postcode": lambda f: f["postcode"],
    "opening times": lambda f: f["opening_times"],
    "languages": lambda f: f["languages"],
    "accessibility": lambda f: f["accessibility"],
}

csv.field_size_limit(10_000_000)


class _Package:
    """Reads named tables from a folder or a zip, wherever datapackage.json puts them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        if not path.exists():
            raise HelpmateError(f"{path}: not found", hint="give the data package folder or zip")
        if path.is_file():
            try:
                self._zip = zipfile.ZipFile(path)
            except zipfile.BadZipFile as exc:
                raise HelpmateError(
                    f"{path}: not a zip or folder data package (the file is not a valid zip, or is truncated)",
                    hint="give the HSDS folder or zip; for ORUK JSON use --format oruk",
                ) from exc
            names = self._zip.namelist()
            descriptors = [n for n in names if PurePosixPath(n).name == "datapackage.json"]
            if not descriptors:
                raise HelpmateError(
                    f"{path}: no datapackage.json in the zip", hint="is this an HSDS data package?"
                )
            self._base = str(PurePosixPath(descriptors[0]).parent)
            self._names = set(names)
        else:
            if not (path / "datapackage.json").exists():
                raise HelpmateError(
                    f"{path}: no datapackage.json in this folder", hint="is this an HSDS data package?"
                )
            self._base = ""
        descriptor = self._read_bytes("datapackage.json")
        try:
            meta = json.loads(descriptor.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HelpmateError(f"{path}: datapackage.json is not valid JSON ({exc})") from exc
        if not isinstance(meta, dict) or not isinstance(meta.get("resources", []), list):
            raise HelpmateError(
                f"{path}: datapackage.json has no 'resources' list", hint="is this an HSDS package?"
            )
        self.paths: dict[str, str] = {}
        self.name = meta.get("name") if isinstance(meta.get("name"), str) else ""
        self.columns: dict[str, list[str]] = {}
        """The header of each table read, for the check of the columns it lacks."""
        for res in meta.get("resources", []):
            if (
                isinstance(res, dict)
                and isinstance(res.get("name"), str)
                and isinstance(res.get("path"), str)
            ):
                self.paths[res["name"]] = res["path"]

    def _member(self, rel: str) -> str:
        return str(PurePosixPath(self._base) / rel) if self._base not in ("", ".") else rel

    def _exists(self, rel: str) -> bool:
        if self._zip is not None:
            return self._member(rel) in self._names
        return (self.path / rel).is_file()

    def _read_bytes(self, rel: str) -> bytes:
        if self._zip is not None:
            return self._zip.read(self._member(rel))
        return (self.path / rel).read_bytes()

    def locate(self, table: str) -> str | None:
        candidates = [self.paths.get(TABLES[table], ""), f"{table}.csv", f"data/{table}.csv"]
        return next((c for c in candidates if c and self._exists(c)), None)

    def rows(self, table: str, required: list[str] | None = None) -> Iterator[dict[str, str]]:
        rel = self.locate(table)
        if rel is None:
            if required is not None:
                raise HelpmateError(f"{self.path}: {table}.csv is missing", hint="an HSDS package needs it")
            return iter(())
        raw = self._read_bytes(rel)
        if b"\x00" in raw[:4096]:
            raise HelpmateError(f"{self.path}/{rel}: binary data where CSV was expected")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        columns = [c.strip() for c in reader.fieldnames or []]
        self.columns[table] = columns
        missing = [c for c in (required or []) if c not in columns]
        if missing:
            raise HelpmateError(
                f"{self.path}/{rel}: missing column(s) {', '.join(missing)}",
                hint="check the CSV header row against HSDS 1.x",
            )
        return (
            {(k or "").strip(): (v or "").strip() for k, v in row.items() if not isinstance(v, list)}
            for row in reader
        )


def _by(rows: Iterator[dict[str, str]], key: str) -> dict[str, list[dict[str, str]]]:
    index: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows:
        if row.get(key):
            index[row[key]].append(row)
    return index


def read_hsds(path: Path) -> FeedRead:
    pkg = _Package(path)
    services = list(pkg.rows("services", REQUIRED["services"]))
    orgs = {r["id"]: r for r in pkg.rows("organizations", REQUIRED["organizations"])}
    phones = _by(pkg.rows("phones"), "service_id")
    links = _by(pkg.rows("services_at_location"), "service_id")
    locations = {r["id"]: r for r in pkg.rows("locations") if r.get("id")}
    addresses = _by(pkg.rows("physical_addresses"), "location_id")
    schedules = _by(pkg.rows("regular_schedules"), "service_id")
    languages = _by(pkg.rows("languages"), "service_id")
    access = _by(pkg.rows("accessibility_for_disabilities"), "location_id")
    tax_names = {r["id"]: r.get("name", "") for r in pkg.rows("taxonomy") if r.get("id")}
    service_tax = _by(pkg.rows("services_taxonomy"), "service_id")
    eligibility = _by(pkg.rows("eligibility"), "service_id")

    result = FeedRead()
    for line, row in enumerate(services, start=2):
        try:
            result.drafts.append(
                _draft(
                    row,
                    orgs,
                    phones,
                    links,
                    locations,
                    addresses,
                    schedules,
                    languages,
                    access,
                    tax_names,
                    service_tax,
                    eligibility,
                )
            )
        except SkipRecord as exc:
            ident = row.get("id")
            result.skipped.append(
                (f"services.csv line {line}" + (f" (id {ident})" if ident else ""), str(exc))
            )
    result.name = str(pkg.name)
    result.warnings = missing_columns(pkg.columns, result.drafts)
    return result


def missing_columns(columns: dict[str, list[str]], drafts: list[Draft]) -> list[str]:
    """One warning per column helpmate reads that a table present in the package lacks, with how
    many records are left without what it fills."""
    warnings = []
    for table, reads in READS.items():
        if table not in columns:
            continue  # an absent optional table is normal (many packages have no schedules)
        for column, what in reads.items():
            if column in columns[table]:
                continue
            getter = _FIELDS.get(what)
            if getter is None:
                warnings.append(f"{table}.csv has no '{column}' column: {what} are made without it")
                continue
            empty = sum(1 for d in drafts if not getter(d.fields))
            warnings.append(
                f"{table}.csv has no '{column}' column: {what} stays empty on {empty:,} of {len(drafts):,} records"
            )
    return warnings


def _draft(
    row: dict[str, str],
    orgs: dict[str, dict[str, str]],
    phones: dict[str, list[dict[str, str]]],
    links: dict[str, list[dict[str, str]]],
    locations: dict[str, dict[str, str]],
    addresses: dict[str, list[dict[str, str]]],
    schedules: dict[str, list[dict[str, str]]],
    languages: dict[str, list[dict[str, str]]],
    access: dict[str, list[dict[str, str]]],
    tax_names: dict[str, str],
    service_tax: dict[str, list[dict[str, str]]],
    eligibility: dict[str, list[dict[str, str]]],
) -> Draft:
    sid = row.get("id", "")
    if not sid:
        raise SkipRecord("no id")
    name = tidy_name(clean_text(row.get("name")))
    if not name:
        raise SkipRecord("no name")
    org = orgs.get(row.get("organization_id", ""), {})
    location_ids = [link.get("location_id", "") for link in links.get(sid, [])]
    address, postcode, accessibility = "", "", []
    for loc_id in location_ids:
        for addr in addresses.get(loc_id, []):
            if not address:
                parts = [addr.get(k, "") for k in ("address_1", "address_2", "city", "state_province")]
                address = clean_text(", ".join(p for p in parts if p))
                postcode = addr.get("postal_code", "")
        accessibility += [a["accessibility"] for a in access.get(loc_id, []) if a.get("accessibility")]
    times = []
    for sched in schedules.get(sid, []):
        text = clean_text(sched.get("original_text")) or " ".join(
            p for p in [sched.get("weekday", ""), sched.get("opens_at", ""), sched.get("closes_at", "")] if p
        )
        if text and text not in times:
            times.append(text)
    langs = list(dict.fromkeys(x["language"] for x in languages.get(sid, []) if x.get("language")))
    taxonomy = " ".join(tax_names.get(t.get("taxonomy_id", ""), "") for t in service_tax.get(sid, []))
    location_text = " ".join(clean_text(locations.get(i, {}).get("description")) for i in location_ids[:1])
    description = clean_text(row.get("description")) or location_text
    texts = dict.fromkeys(clean_text(e.get("eligibility")) for e in eligibility.get(sid, []))
    who = "; ".join(t for t in texts if t)
    fields: dict[str, Any] = {
        "name": name,
        "description": description,
        # Who it is for, read from the words (knowledge/eligibility.py).
        "eligibility": read_eligibility(name, who, description),
        "organisation": tidy_name(clean_text(org.get("name"))),
        "contact": {
            "phone": next((p["number"] for p in phones.get(sid, []) if p.get("number")), ""),
            "email": row.get("email", ""),
            "url": row.get("url", "") or org.get("url", ""),
        },
        "address": address,
        "postcode": postcode,
        "how_to_access": clean_text(row.get("application_process")),
        "cost": clean_text(row.get("fees")),
        "opening_times": "; ".join(times),
        "accessibility": "; ".join(dict.fromkeys(accessibility)),
        "languages": langs,
    }
    return Draft(sid, fields, extra_text=taxonomy)
