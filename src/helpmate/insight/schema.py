"""The tables of the insight database (SQLAlchemy Core). Changed only through a new migration in
``migrations/versions`` (the database is migrated to ``HEAD`` when it is opened).

One row per conversation per week in ``events``; its needs, pairs of needs, alerts and records in child tables that
repeat the week, area and locality, so every report is one ``GROUP BY`` over one table, with no
join (measured: the full report over 100,000 conversations in ``bench/insight.py``).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

HEAD = "0001"
"""The newest migration: a database at this revision is opened without importing Alembic."""

metadata = MetaData()


def _place() -> list[Column[object]]:
    return [
        Column("week", Date, nullable=False),
        Column("area", String(100)),
        Column("locality", String(200)),
    ]


events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(32), nullable=False),
    *_place(),
    UniqueConstraint("key", "week", name="uq_events_key_week"),
)
event_needs = Table(
    "event_needs",
    metadata,
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("need", String(100), primary_key=True),
    *_place(),
    Column("strength", Float, nullable=False),
    Column("met_service", Boolean, nullable=False),
    Column("met_community", Boolean, nullable=False),
)
event_alerts = Table(
    "event_alerts",
    metadata,
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("category", String(60), primary_key=True),
    *_place(),
    Column("count", Integer, nullable=False),
)
event_pairs = Table(
    "event_pairs",
    metadata,
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("need", String(100), primary_key=True),
    Column("other", String(100), primary_key=True),
    *_place(),
)
"""Needs that came together in a conversation (``need`` < ``other``), written with the event so the
co-occurrence report is one GROUP BY instead of a self-join (3 s at 100,000 conversations)."""
event_records = Table(
    "event_records",
    metadata,
    Column("event_id", Integer, ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("record", String(200), primary_key=True),
    *_place(),
    Column("track", String(12)),
    Column("need", String(100)),
    Column("pinned", Boolean, nullable=False),
    Column("dismissed", String(20)),
)
# Covering indexes in the order of each report's GROUP BY: every report reads one index, in order,
# without touching the table (an index that is not covering made SQLite look rows up one by one:
# 2.3 s instead of 0.2 s for the demand query at 100,000 conversations).
Index("ix_events_week_area", events.c.week, events.c.area)
Index(
    "ix_event_needs_report",
    event_needs.c.week, event_needs.c.area, event_needs.c.locality, event_needs.c.need,
    event_needs.c.met_service, event_needs.c.met_community,
)  # fmt: skip
Index(
    "ix_event_pairs_report", event_pairs.c.need, event_pairs.c.other, event_pairs.c.week, event_pairs.c.area
)
Index("ix_event_alerts_report", event_alerts.c.week, event_alerts.c.category, event_alerts.c.area)
Index(
    "ix_event_records_report",
    event_records.c.record, event_records.c.dismissed, event_records.c.pinned, event_records.c.week,
    event_records.c.area,
)  # fmt: skip
