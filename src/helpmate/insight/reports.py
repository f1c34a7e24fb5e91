"""The figures of ``helpmate insight``: demand, unmet need, asset-map gaps, feedback on records and
notices to confirm, as one JSON-ready dict (``--json`` prints it, ``--report`` draws it).

Every figure is one SQL aggregate over one table (the child tables carry the week, area and
locality), so the report's cost grows with the number of needs and records, not with Python loops
over events: about a second for 100,000 conversations on SQLite here (``bench/insight.py``).

Small numbers identify people: a figure drawn from fewer than ``min_count`` conversations (5 by
default, ``[insight] min_count``) is replaced by ``null``, and the row lists the field's name in
``suppressed``; reports print it as "fewer than 5". A zero is shown: it identifies no one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from helpmate.insight.events import DISMISS_REASONS, NOTICE_REASONS, week_start
from helpmate.insight.gaps import asset_gaps, is_stale
from helpmate.insight.schema import event_alerts, event_needs, event_pairs, event_records, events
from helpmate.insight.store import InsightStore, shown_url
from helpmate.knowledge.library import Library
from helpmate.knowledge.notices import load_notices

TOP = 15
"""Rows per table in the readable reports (the JSON keeps every row)."""


@dataclass(frozen=True)
class Filters:
    area: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def where(self, table: sa.Table) -> list[Any]:
        found = []
        if self.area:
            found.append(table.c.area == self.area)
        if self.since:
            found.append(table.c.week >= week_start(self.since))
        if self.until:
            found.append(table.c.week <= self.until)
        return found


class Suppressor:
    def __init__(self, min_count: int) -> None:
        self.min_count = min_count

    def value(self, count: int) -> int | None:
        return None if 0 < count < self.min_count else count

    def row(self, row: dict[str, Any], *fields: str) -> dict[str, Any]:
        """The row with each small figure among ``fields`` made null and named in ``suppressed``."""
        hidden = [f for f in fields if row.get(f) is not None and 0 < int(row[f]) < self.min_count]
        for name in hidden:
            row[name] = None
        row["suppressed"] = hidden
        return row


def _flag(column: Any) -> Any:
    """1 when true: SUM over booleans the same way in SQLite and PostgreSQL."""
    return sa.func.sum(sa.case((column, 1), else_=0))


def _unmet(*columns: Any) -> Any:
    return sa.func.sum(sa.case((sa.or_(*columns), 0), else_=1))


def _rows(connection: sa.Connection, query: Any) -> list[Any]:
    return list(connection.execute(query))


def build_report(
    store: InsightStore,
    library: Library,
    filters: Filters | None = None,
    *,
    min_count: int = 5,
    today: dt.date | None = None,
) -> dict[str, Any]:
    filters = filters or Filters()
    today = today or dt.date.today()
    hide = Suppressor(min_count)
    labels = {n.id: n.label for n in library.needs}
    records = {r.id: r for r in library.records}
    n, r, a, e = event_needs, event_records, event_alerts, events
    with store.engine.connect() as connection:
        total = connection.execute(
            sa.select(sa.func.count()).select_from(e).where(*filters.where(e))
        ).scalar_one()
        weeks = _rows(
            connection, sa.select(e.c.week, sa.func.count()).where(*filters.where(e)).group_by(e.c.week)
        )
        # One scan of the needs, grouped as finely as any table needs; the rest adds up these
        # (at most weeks x places x needs) rows, never the events themselves.
        grouped = _rows(
            connection,
            sa.select(
                n.c.week,
                n.c.area,
                n.c.locality,
                n.c.need,
                sa.func.count(),
                _unmet(n.c.met_service, n.c.met_community),
                _unmet(n.c.met_service),
                _unmet(n.c.met_community),
            )
            .where(*filters.where(n))
            .group_by(n.c.week, n.c.area, n.c.locality, n.c.need),
        )
        p = event_pairs
        pair_rows = _rows(
            connection,
            sa.select(p.c.need, p.c.other, sa.func.count().label("together"))
            .where(*filters.where(p))
            .group_by(p.c.need, p.c.other)
            .order_by(sa.desc("together"), p.c.need, p.c.other)
            .limit(50),
        )
        alert_rows = _rows(
            connection,
            sa.select(a.c.week, a.c.category, sa.func.count())
            .where(*filters.where(a))
            .group_by(a.c.week, a.c.category),
        )
        record_rows = _rows(
            connection,
            sa.select(r.c.record, r.c.dismissed, sa.func.count(), _flag(r.c.pinned))
            .where(*filters.where(r))
            .group_by(r.c.record, r.c.dismissed),
        )

    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    by_place: dict[tuple[str | None, str | None, str], list[int]] = defaultdict(lambda: [0, 0])
    trend_rows: dict[tuple[dt.date, str], int] = defaultdict(int)
    for week, area, locality, need, count, unmet_all, no_service, no_community in grouped:
        for i, value in enumerate((count, unmet_all, no_service, no_community)):
            totals[need][i] += value
        by_place[(area, locality, need)][0] += count
        by_place[(area, locality, need)][1] += unmet_all
        trend_rows[(week, need)] += count
    need_rows: list[tuple[Any, ...]] = [(need, *values) for need, values in totals.items()]
    place_rows: list[tuple[Any, ...]] = [
        (area, locality, need, c, u) for (area, locality, need), (c, u) in by_place.items()
    ]
    shown_by: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    reasons: dict[str, dict[str, int]] = defaultdict(dict)
    for rid, reason, count, pinned in record_rows:
        shown_by[rid][0] += count
        shown_by[rid][1] += pinned
        if reason is not None:
            shown_by[rid][2] += count
            reasons[rid][reason] = count

    def need_label(need: str) -> str:
        return labels.get(need, need)

    def record_name(rid: str) -> str:
        record = records.get(rid)
        return record.name if record else f"{rid} (no longer in the library)"

    demand: list[dict[str, Any]] = sorted(
        (
            {"need": need, "label": need_label(need), "conversations": count, "unmet": unmet,
             "no_service": no_service, "no_community": no_community}
            for need, count, unmet, no_service, no_community in need_rows
        ),
        key=lambda row: (-row["conversations"], row["need"]),
    )  # fmt: skip
    by_share = sorted(
        demand, key=lambda row: (-(row["unmet"] / row["conversations"]), -row["unmet"], row["need"])
    )
    unmet = [
        hide.row(
            {**row, "share_unmet": round(row["unmet"] / row["conversations"], 3)},
            "conversations",
            "unmet",
            "no_service",
            "no_community",
        )
        for row in by_share
        if row["unmet"]
    ]
    for row in unmet:
        if row["conversations"] is None or row["unmet"] is None:
            row["share_unmet"] = None
    places: list[dict[str, Any]] = sorted(
        (
            {"area": area, "locality": locality, "need": need, "label": need_label(need),
             "conversations": count, "unmet": left}
            for area, locality, need, count, left in place_rows
        ),
        key=lambda row: (str(row["area"]), str(row["locality"] or ""), -row["conversations"], row["need"]),
    )  # fmt: skip
    week_list = sorted({w for w, _ in weeks})
    top = [row["need"] for row in demand[:6]]
    series: dict[str, list[int | None]] = {need: [0] * len(week_list) for need in top}
    position = {w: i for i, w in enumerate(week_list)}
    for (week, need), count in trend_rows.items():
        if need in series:
            series[need][position[week]] = hide.value(count)
    categories: dict[str, dict[str, int]] = defaultdict(dict)
    for week, category, count in alert_rows:
        categories[category][str(week)] = count
    alerts = sorted(
        (
            hide.row({"category": c, "conversations": sum(by_week.values())}, "conversations")
            | {"weeks": {w: hide.value(k) for w, k in sorted(by_week.items())}}
            for c, by_week in categories.items()
        ),
        key=lambda row: (-(row["conversations"] or 0), row["category"]),
    )
    shown: list[dict[str, Any]] = [
        {"record": rid, "name": record_name(rid), "shown": count, "pinned": pinned, "dismissed": dismissed}
        for rid, (count, pinned, dismissed) in shown_by.items()
    ]
    notices = load_notices(library.root)

    def feedback_row(row: dict[str, Any]) -> dict[str, Any]:
        out = hide.row(dict(row), "shown", "pinned", "dismissed")
        out["reasons"] = {k: hide.value(v) for k, v in sorted(reasons.get(row["record"], {}).items())}
        notice = notices.get(row["record"])
        out["notice"] = notice.line() if notice and notice.current(today) else None
        return out

    stale_ids = {rid for rid, rec in records.items() if is_stale(rec, today)}
    feedback = {
        "dismissed": [
            feedback_row(row)
            for row in sorted(shown, key=lambda x: (-x["dismissed"], x["record"]))
            if row["dismissed"]
        ],
        "pinned": [
            feedback_row(row)
            for row in sorted(shown, key=lambda x: (-x["pinned"], x["record"]))
            if row["pinned"]
        ],
        "never_pinned": [
            feedback_row(row)
            for row in sorted(shown, key=lambda x: (-x["shown"], x["record"]))
            if not row["pinned"] and row["shown"] >= min_count
        ],
        "stale_shown": [
            feedback_row(row) | {"review_due": str(records[row["record"]].review_due)}
            for row in sorted(shown, key=lambda x: (-x["shown"], x["record"]))
            if row["record"] in stale_ids
        ],
    }
    to_confirm = []
    for rid, by_reason in sorted(reasons.items()):
        for reason in NOTICE_REASONS:
            if by_reason.get(reason):
                notice = notices.get(rid)
                to_confirm.append(
                    hide.row(
                        {
                            "record": rid,
                            "name": record_name(rid),
                            "reason": reason,
                            "label": DISMISS_REASONS[reason],
                            "conversations": by_reason[reason],
                            "notice": notice.line() if notice and notice.current(today) else None,
                            "command": f'helpmate kb notice {rid} "..." --kind '
                            + ("closed" if reason == "closed" else "waiting"),
                        },
                        "conversations",
                    )
                )
    to_confirm.sort(key=lambda row: (row["notice"] is not None, -(row["conversations"] or 0), row["record"]))
    return {
        "meta": {
            "generated": today.isoformat(),
            "area": filters.area,
            "since": filters.since.isoformat() if filters.since else None,
            "until": filters.until.isoformat() if filters.until else None,
            "database": shown_url(store.url),
            "library": str(library.root),
            "min_count": min_count,
            "suppressed": f"a figure from fewer than {min_count} conversations is null, its field named in the row's 'suppressed'",
        },
        "conversations": hide.value(total),
        "weeks": [{"week": str(w), "conversations": hide.value(c)} for w, c in sorted(weeks)],
        "demand": {
            "needs": [
                hide.row({k: row[k] for k in ("need", "label", "conversations")}, "conversations")
                for row in demand
            ],
            "by_place": [hide.row(row, "conversations", "unmet") for row in places],
            "trend": {"weeks": [str(w) for w in week_list], "series": series},
            "together": [
                hide.row(
                    {"needs": [x, y], "labels": [need_label(x), need_label(y)], "conversations": k},
                    "conversations",
                )
                for x, y, k in pair_rows
            ],
            "alerts": alerts,
        },
        "unmet": unmet,
        "gaps": asset_gaps(library, filters.area, today),
        "feedback": feedback,
        "notices_to_confirm": to_confirm,
    }
