"""The shape of the knowledge library: records, needs, areas.

A *record* is one standard service or one community resource. Records live in
human-editable YAML files under ``knowledge/records/``; everything derived from them
(vector store, keyword index) is rebuilt from these files and never edited by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Track = Literal["service", "community"]
TrackOrigin = Literal["manual", "rule", "override"]
NeedKind = Literal["problem", "interest", "identity"]
Gender = Literal["female", "male"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Eligibility(_Strict):
    """Who can use a record. An import reads the limits from the record's words (see
    ``knowledge/eligibility.py``); a knowledge manager may set or correct them by hand."""

    text: str = ""
    """Who can use it, in the directory's words."""
    min_age: int | None = Field(default=None, ge=0, le=130)
    max_age: int | None = Field(default=None, ge=0, le=130)
    genders: list[Gender] = []
    """Empty: anyone. ``[female]``: women and girls only (a women's refuge); ``[male]``: men and
    boys only (a men's shed)."""
    only_for: list[str] = []
    """Need ids (needs.yaml) of the groups the record serves only, e.g. ``carers`` for a carers'
    group, ``learning-disability-autism`` for respite for adults with a learning disability. A
    record that merely welcomes a group does not list it. Empty: no such limit."""
    read_from: dict[str, str] = {}
    """The words each limit was read from, by field (``ages``, ``genders``) or need id, so a
    person can see why: ``{genders: "Women aged 16+ and their children"}``. Set by an import."""

    @field_validator("genders")
    @classmethod
    def _both_is_anyone(cls, value: list[str]) -> list[str]:
        # A record for women and for men is for anyone.
        unique = sorted(set(value))
        return [] if len(unique) > 1 else unique


class Contact(_Strict):
    phone: str = ""
    email: str = ""
    url: str = ""


class Source(_Strict):
    feed: str = ""
    """Where the record came from: ``sample``, ``manual`` or the imported feed's name."""
    id: str = ""
    """The id the record had in that feed."""


class Record(_Strict):
    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    description: str = ""
    organisation: str = ""
    track: Track
    track_origin: TrackOrigin = "manual"
    """How the track was chosen: by hand, by the import rules, or by an override."""
    needs: list[str] = []
    """Confirmed need ids from the needs taxonomy."""
    needs_suggested: list[str] = []
    """Need ids suggested by an import; a knowledge manager confirms them by moving them to needs."""
    audiences: list[str] = []
    eligibility: Eligibility = Eligibility()
    areas: list[str] = []
    contact: Contact = Contact()
    address: str = ""
    postcode: str = ""
    how_to_access: str = ""
    """How to get in: self-referral, professional referral, drop in, booking."""
    cost: str = ""
    opening_times: str = ""
    accessibility: str = ""
    languages: list[str] = []
    source: Source = Source()
    last_reviewed: dt.date | None = None
    review_due: dt.date | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        # Ids are text; a hand-written YAML id like 136 arrives as an int.
        return str(value) if isinstance(value, int) else value

    def all_needs(self) -> list[str]:
        return list(dict.fromkeys([*self.needs, *self.needs_suggested]))

    def content_hash(self) -> str:
        """A hash of everything that goes into the index for this record."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


class Need(_Strict):
    """One need of the taxonomy in knowledge/needs.yaml (ids are stable: records and cases refer to them)."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    label: str
    description: str
    examples: list[str] = Field(min_length=1)
    """How a worker might describe it, in everyday words."""
    keywords: list[str] = []
    """Words and short phrases (lower case) that signal the need in a record or a message."""
    search: str = ""
    """The kind of help that meets the need, in the words directories use (retrieval expansion)."""
    urgency: int = Field(default=2, ge=1, le=3)
    """1 urgent (safety, no food, no home) to 3 (wellbeing); orders needs in a plan."""
    kind: NeedKind | None = None
    """problem (can be in the past or denied: "she used to drink", "no debts"), interest (still
    counts in the past tense: "he used to love camping") or identity (who the person is or what
    they live with, whatever the tense: a carer, a veteran, later life). Missing in a library
    written before kinds existed: taken from the shipped taxonomy for the same id."""
    over_when: list[str] = []
    """Reading signals that say this need is over or turned down (``signals`` in
    helpmate/data/language/reading.yaml): a recovery, "she isn't lonely", "made her peace with it"."""
    names: list[str] = []
    """What a worker calls the need in a correction ("not a carer"), besides its id and label."""


class Locality(_Strict):
    """A part of an area with services of its own, usually another council's: a feed imported as
    ``bristol`` also holds South Gloucestershire's and North Somerset's services."""

    name: str
    places: list[str] = []
    """Its towns and neighbourhoods; a record or a message that names one is in the locality."""


class Area(_Strict):
    slug: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    name: str
    postcode_prefixes: list[str] = []
    places: list[str] = []
    """Neighbourhoods, towns and villages in the area (used to map what a worker says to the area)."""
    localities: list[Locality] = []
    """Parts of the area: for a person in one, help that names only others ranks a little lower."""

    def place_names(self) -> list[str]:
        """The names that put a text in this area, whatever their case: its name, places and
        localities' names. (A locality's places count only as written: see ``Gazetteer``.)"""
        return [self.name, *self.places, *(loc.name for loc in self.localities)]
