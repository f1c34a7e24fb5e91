"""Events: one row per conversation per week, with its needs, pairs of needs, alerts and records.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _place() -> list[sa.Column[object]]:
    return [
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("area", sa.String(100)),
        sa.Column("locality", sa.String(200)),
    ]


def _event_id() -> sa.Column[int]:
    return sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(32), nullable=False),
        *_place(),
        sa.UniqueConstraint("key", "week", name="uq_events_key_week"),
    )
    op.create_table(
        "event_needs",
        _event_id(),
        sa.Column("need", sa.String(100), primary_key=True),
        *_place(),
        sa.Column("strength", sa.Float, nullable=False),
        sa.Column("met_service", sa.Boolean, nullable=False),
        sa.Column("met_community", sa.Boolean, nullable=False),
    )
    op.create_table(
        "event_alerts",
        _event_id(),
        sa.Column("category", sa.String(60), primary_key=True),
        *_place(),
        sa.Column("count", sa.Integer, nullable=False),
    )
    op.create_table(
        "event_pairs",
        _event_id(),
        sa.Column("need", sa.String(100), primary_key=True),
        sa.Column("other", sa.String(100), primary_key=True),
        *_place(),
    )
    op.create_table(
        "event_records",
        _event_id(),
        sa.Column("record", sa.String(200), primary_key=True),
        *_place(),
        sa.Column("track", sa.String(12)),
        sa.Column("need", sa.String(100)),
        sa.Column("pinned", sa.Boolean, nullable=False),
        sa.Column("dismissed", sa.String(20)),
    )
    op.create_index("ix_events_week_area", "events", ["week", "area"])
    op.create_index(
        "ix_event_needs_report",
        "event_needs",
        ["week", "area", "locality", "need", "met_service", "met_community"],
    )
    op.create_index("ix_event_pairs_report", "event_pairs", ["need", "other", "week", "area"])
    op.create_index("ix_event_alerts_report", "event_alerts", ["week", "category", "area"])
    op.create_index(
        "ix_event_records_report", "event_records", ["record", "dismissed", "pinned", "week", "area"]
    )


def downgrade() -> None:
    for table in ("event_records", "event_pairs", "event_alerts", "event_needs", "events"):
        op.drop_table(table)
