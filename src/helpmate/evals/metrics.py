"""Per-case scores and their aggregation: totals, per track, per need and per area."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from statistics import mean
from typing import Any


@dataclass
class CaseResult:
    case_id: str
    area: str | None
    expected_needs: list[str]
    found_needs: list[str]
    relevant: list[str]
    services: list[str]
    community: list[str]
    relevant_tracks: dict[str, str] = field(default_factory=dict)
    """Track of each relevant record (service or community)."""
    must_not: list[str] = field(default_factory=list)
    expected_safeguarding: bool = False
    flagged_safeguarding: bool = False
    """An alert at urgent or concern level was raised."""
    checked_safeguarding: bool = False
    """Any alert was raised, a "worth asking about" (check) included."""
    safeguarding_categories: list[str] = field(default_factory=list)
    safeguarding_kinds: list[str] = field(default_factory=list)
    expected_kind: str | None = None
    expected_kinds: list[str] = field(default_factory=list)
    unknown_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def shown(self) -> list[str]:
        return self.services + self.community

    @property
    def hits(self) -> list[str]:
        relevant = set(self.relevant)
        return [r for r in self.shown if r in relevant]

    @property
    def recall(self) -> float | None:
        return len(set(self.hits)) / len(set(self.relevant)) if self.relevant else None

    @property
    def precision(self) -> float | None:
        return len(self.hits) / len(self.shown) if self.shown and self.relevant else None

    def track_recall(self, track: str) -> float | None:
        wanted = {r for r in self.relevant if self.relevant_tracks.get(r) == track}
        if not wanted:
            return None
        shown = self.services if track == "service" else self.community
        return len(wanted & set(shown)) / len(wanted)

    @property
    def reciprocal_rank(self) -> float | None:
        """1/rank of the first relevant suggestion, reading service 1, community 1, service 2, ..."""
        if not self.relevant:
            return None
        relevant = set(self.relevant)
        order = [x for pair in _interleave(self.services, self.community) for x in pair if x]
        return next((1 / (i + 1) for i, rid in enumerate(order) if rid in relevant), 0.0)

    @property
    def violations(self) -> list[str]:
        banned = set(self.must_not)
        return [r for r in self.shown if r in banned]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            recall=self.recall,
            precision=self.precision,
            reciprocal_rank=self.reciprocal_rank,
            violations=self.violations,
        )
        return data


def _interleave(a: list[str], b: list[str]) -> list[tuple[str | None, str | None]]:
    n = max(len(a), len(b))
    return [(a[i] if i < len(a) else None, b[i] if i < len(b) else None) for i in range(n)]


def need_scores(results: list[CaseResult]) -> tuple[float, float]:
    """Micro-averaged precision and recall of need detection."""
    tp = sum(len(set(r.found_needs) & set(r.expected_needs)) for r in results)
    found = sum(len(set(r.found_needs)) for r in results)
    expected = sum(len(set(r.expected_needs)) for r in results)
    return (tp / found if found else 0.0, tp / expected if expected else 0.0)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def _avg(values: list[float | None]) -> float:
    present = [v for v in values if v is not None]
    return mean(present) if present else 0.0


def summarise(results: list[CaseResult]) -> dict[str, float]:
    need_p, need_r = need_scores(results)
    expected_sg = [r for r in results if r.expected_safeguarding]
    ordinary = [r for r in results if not r.expected_safeguarding]
    times = [r.seconds for r in results]
    return {
        "cases": len(results),
        "recall": _avg([r.recall for r in results]),
        "recall_services": _avg([r.track_recall("service") for r in results]),
        "recall_community": _avg([r.track_recall("community") for r in results]),
        "precision": _avg([r.precision for r in results]),
        "mrr": _avg([r.reciprocal_rank for r in results]),
        "need_precision": need_p,
        "need_recall": need_r,
        "safeguarding_recall": (
            sum(r.flagged_safeguarding for r in expected_sg) / len(expected_sg) if expected_sg else 1.0
        ),
        "safeguarding_false_alarms": sum(r.flagged_safeguarding for r in ordinary),
        "safeguarding_recall_with_checks": (
            sum(r.checked_safeguarding for r in expected_sg) / len(expected_sg) if expected_sg else 1.0
        ),
        "safeguarding_checks_on_ordinary": sum(
            r.checked_safeguarding and not r.flagged_safeguarding for r in ordinary
        ),
        "safeguarding_false_alarm_rate": (
            sum(r.flagged_safeguarding for r in ordinary) / len(ordinary) if ordinary else 0.0
        ),
        "safeguarding_kind_right": _kind_right(expected_sg),
        "must_not_violations": sum(len(r.violations) for r in results),
        "unknown_ids": sum(len(r.unknown_ids) for r in results),
        "latency_p50_ms": percentile(times, 0.5) * 1000,
        "latency_p95_ms": percentile(times, 0.95) * 1000,
    }


def _kind_right(risks: list[CaseResult]) -> float:
    """Of the risk cases that name a kind, the share where an alert named it (or an ``also``)."""
    named = [r for r in risks if r.expected_kinds]
    if not named:
        return 1.0
    return sum(bool(set(r.expected_kinds) & set(r.safeguarding_kinds)) for r in named) / len(named)


def by_kind(results: list[CaseResult]) -> dict[str, dict[str, float]]:
    """Per expected safeguarding kind: cases, the share raised (urgent or concern), the share raised
    with "worth asking about" included, and the share whose alert named the right kind; and per
    kind a lookalike resembles (``looks_like`` is not kept: ordinary cases are grouped under
    "(ordinary)"), the false alarms."""
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        if result.expected_safeguarding:
            groups[result.expected_kind or "(no kind)"].append(result)
    out: dict[str, dict[str, float]] = {}
    for kind, members in sorted(groups.items()):
        out[kind] = {
            "cases": len(members),
            "raised": sum(r.flagged_safeguarding for r in members) / len(members),
            "raised_with_checks": sum(r.checked_safeguarding for r in members) / len(members),
            "kind_right": _kind_right(members),
        }
    ordinary = [r for r in results if not r.expected_safeguarding]
    if ordinary:
        out["(ordinary)"] = {
            "cases": len(ordinary),
            "raised": sum(r.flagged_safeguarding for r in ordinary) / len(ordinary),
            "raised_with_checks": sum(r.checked_safeguarding for r in ordinary) / len(ordinary),
            "kind_right": 0.0,
        }
    return out


def breakdown(results: list[CaseResult], key: str) -> dict[str, dict[str, float]]:
    """Recall, precision and case count per expected need (``key='need'``) or per area."""
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        labels = result.expected_needs if key == "need" else [result.area or "(none)"]
        for label in labels:
            groups[label].append(result)
    out = {}
    for label, members in sorted(groups.items()):
        detected = [label in r.found_needs for r in members] if key == "need" else []
        out[label] = {
            "cases": len(members),
            "recall": _avg([r.recall for r in members]),
            "precision": _avg([r.precision for r in members]),
        }
        if key == "need":
            out[label]["detected"] = sum(detected) / len(detected)
    return out


def compare(
    current: list[dict[str, Any]], previous: list[dict[str, Any]], tolerance: float = 1e-9
) -> dict[str, list]:
    """Cases whose recall improved or regressed against a baseline run (matched by case id)."""
    before = {c["case_id"]: c for c in previous}
    improved, regressed = [], []
    for case in current:
        old = before.get(case["case_id"])
        if old is None or case.get("recall") is None or old.get("recall") is None:
            continue
        delta = case["recall"] - old["recall"]
        row = {"case_id": case["case_id"], "before": old["recall"], "after": case["recall"], "delta": delta}
        if delta > tolerance:
            improved.append(row)
        elif delta < -tolerance:
            regressed.append(row)
    return {"improved": improved, "regressed": regressed}
