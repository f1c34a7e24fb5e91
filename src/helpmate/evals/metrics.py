"""Per-case scores and their aggregation."""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean


@dataclass
class CaseResult:
    case_id: str
    area: str | None
    expected_needs: list[str]
    found_needs: list[str]
    relevant: list[str]
    services: list[str]
    community: list[str]
    must_not: list[str] = field(default_factory=list)
    expected_safeguarding: bool = False
    flagged_safeguarding: bool = False
    unknown_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def shown(self) -> list[str]:
        return self.services + self.community

    @property
    def hits(self) -> list[str]:
        return [r for r in self.shown if r in set(self.relevant)]

    @property
    def recall(self) -> float | None:
        return len(set(self.hits)) / len(set(self.relevant)) if self.relevant else None

    @property
    def precision(self) -> float | None:
        return len(self.hits) / len(self.shown) if self.shown and self.relevant else None

    def track_recall(self, track_ids: list[str], track_relevant: set[str]) -> float | None:
        if not track_relevant:
            return None
        return len(track_relevant & set(track_ids)) / len(track_relevant)

    @property
    def reciprocal_rank(self) -> float | None:
        if not self.relevant:
            return None
        relevant = set(self.relevant)
        # Interleave the two columns as a worker reads them: service 1, community 1, service 2, ...
        order = [x for pair in _zip_longest(self.services, self.community) for x in pair if x]
        return next((1 / (i + 1) for i, rid in enumerate(order) if rid in relevant), 0.0)

    @property
    def violations(self) -> list[str]:
        return [r for r in self.shown if r in set(self.must_not)]


def _zip_longest(a: list[str], b: list[str]) -> list[tuple[str | None, str | None]]:
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
        "precision": _avg([r.precision for r in results]),
        "mrr": _avg([r.reciprocal_rank for r in results]),
        "need_precision": need_p,
        "need_recall": need_r,
        "safeguarding_recall": (
            sum(r.flagged_safeguarding for r in expected_sg) / len(expected_sg) if expected_sg else 1.0
        ),
        "safeguarding_false_alarms": sum(r.flagged_safeguarding for r in ordinary),
        "must_not_violations": sum(len(r.violations) for r in results),
        "unknown_ids": sum(len(r.unknown_ids) for r in results),
        "latency_p50_ms": percentile(times, 0.5) * 1000,
        "latency_p95_ms": percentile(times, 0.95) * 1000,
    }
