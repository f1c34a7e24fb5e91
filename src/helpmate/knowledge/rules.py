"""Rules an import uses to give each record a track and suggested needs.

Track (documented in docs/importing.md):

1. An override in ``overrides.yaml`` for the record id, then for its organisation, wins.
2. A statutory or large organisation (council, NHS, police, Jobcentre/DWP, Citizens Advice,
   hospital, GP practice or surgery) makes a record a standard service.
3. Otherwise the record's name and description are scored for words of organised provision
   (advice, assessment, referral, clinic, treatment, helpline, home care, counselling ...) against
   words of community life (group, club, class, cafe, volunteers, church, choir, allotment ...).
   Words in the name count three times. More provision words make it a ``service``; otherwise,
   ties included, it is ``community``.

Needs: every need in the taxonomy whose keywords appear in the record (name words count
double) is scored; up to three with the highest scores become ``needs_suggested``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from helpmate.knowledge.records import Need

STATUTORY = re.compile(
    r"\b(council|nhs|police|jobcentre|job centre|dwp|department for work|citizens advice|hospital|"
    r"medical practice|surgery|health centre|integrated care board|local authority|social services|"
    r"county of|city of|state of|department of|public health)\b",
    re.I,
)

SERVICE_WORDS = [
    "advice",
    "advisor",
    "adviser",
    "advocacy",
    "assessment",
    "referral",
    "refer",
    "clinic",
    "treatment",
    "therapy",
    "therapist",
    "counselling",
    "counseling",
    "helpline",
    "home care",
    "homecare",
    "domiciliary",
    "care agency",
    "care provider",
    "cqc",
    "caseworker",
    "case worker",
    "support worker",
    "appointment",
    "nurse",
    "nursing",
    "gp",
    "practitioner",
    "benefits",
    "debt",
    "housing",
    "accommodation",
    "tenancy",
    "hospice",
    "statutory",
    "service",
    "services",
    "programme",
    "program",
    "legal",
    "solicitor",
    "assistance",
    "agency",
    "provider",
    "ltd",
    "limited",
    "inc",
    "consultation",
    "diagnosis",
    "specialist",
    "rehabilitation",
    "recovery service",
    "outreach",
    "emergency",
    "shelter",
]
COMMUNITY_WORDS = [
    "group",
    "groups",
    "club",
    "clubs",
    "class",
    "classes",
    "session",
    "sessions",
    "cafe",
    "café",
    "meet",
    "meets",
    "meetup",
    "social",
    "volunteer",
    "volunteers",
    "volunteering",
    "society",
    "choir",
    "church",
    "mosque",
    "chapel",
    "temple",
    "gurdwara",
    "faith",
    "association",
    "allotment",
    "garden",
    "gardening",
    "walk",
    "walks",
    "walking",
    "craft",
    "crafts",
    "art",
    "knit",
    "natter",
    "coffee morning",
    "peer support",
    "friendship",
    "friends",
    "activities",
    "activity",
    "community",
    "hub",
    "members",
    "fun",
    "games",
    "bingo",
    "dance",
    "dancing",
    "singing",
    "music",
    "parkrun",
    "team",
    "lunch club",
    "stay and play",
    "toddler",
    "shed",
    "repair cafe",
    "u3a",
    "festival",
    "market",
    "museum",
    "library",
    "park",
]


def _tokens(text: str) -> str:
    """Lower case, apostrophes dropped (men's = mens), accents flattened (café = cafe), one space apart."""
    text = text.lower().replace("'", "").replace("’", "").replace("é", "e")
    return " " + re.sub(r"[^a-z0-9+]+", " ", text) + " "


def _count(words: Iterable[str], haystack: str) -> int:
    return sum(haystack.count(f" {w} ") for w in words)


def decide_track(name: str, description: str, organisation: str) -> str:
    if STATUTORY.search(organisation) or STATUTORY.search(name):
        return "service"
    name_t, desc_t = _tokens(name), _tokens(description)
    service = 3 * _count(SERVICE_WORDS, name_t) + _count(SERVICE_WORDS, desc_t)
    community = 3 * _count(COMMUNITY_WORDS, name_t) + _count(COMMUNITY_WORDS, desc_t)
    return "service" if service > community else "community"


class NeedTagger:
    """Suggests need tags for a record from the taxonomy's keywords.

    A keyword counts when its words appear together in the text (" food bank " in " a food bank
    in "). The keywords are kept by their words, so a record is scored by looking up each run of
    one to N of its words (N the longest keyword), not by searching it for each of the taxonomy's
    1,700 keywords: about 20 times faster on the real feeds, which matters at a region's 200,000
    records (bench/region.py)."""

    def __init__(self, needs: Iterable[Need]) -> None:
        self._keywords: dict[str, list[str]] = {}
        for need in needs:
            for keyword in need.keywords:
                words = _tokens(keyword).strip()
                if words:
                    # A keyword listed twice counts twice, as the need's list says.
                    self._keywords.setdefault(words, []).append(need.id)
        self._longest = max((k.count(" ") + 1 for k in self._keywords), default=0)

    def _present(self, text: str) -> set[str]:
        """The keywords whose words appear together in ``text`` (already through ``_tokens``)."""
        words = text.split()
        return {
            run
            for start in range(len(words))
            for size in range(1, min(self._longest, len(words) - start) + 1)
            if (run := " ".join(words[start : start + size])) in self._keywords
        }

    def suggest(self, name: str, description: str, limit: int = 3) -> list[str]:
        in_name, in_desc = self._present(_tokens(name)), self._present(_tokens(description))
        score: dict[str, int] = {}
        for keyword in in_name | in_desc:
            weight = 2 * (keyword in in_name) + (keyword in in_desc)
            for need_id in self._keywords[keyword]:
                score[need_id] = score.get(need_id, 0) + weight
        ranked = sorted(score.items(), key=lambda item: (-item[1], item[0]))
        return [need_id for need_id, _ in ranked[:limit]]
