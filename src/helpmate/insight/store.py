"""The insight database: SQLite in HELPMATE_HOME by default, any SQLAlchemy URL for a team.

Opening it migrates it to the newest schema (Alembic, shipped in ``migrations/``): nobody runs a
migration by hand, and a database already at ``schema.HEAD`` opens without importing Alembic.
SQLAlchemy costs about 0.3 s to import on a quiet 2-core machine (Alembic another 0.2 s), so
nothing imports this module until an event is written or a report is asked for.

SQLite runs in WAL mode with a busy timeout, so the terminal app can write while ``helpmate
insight`` reads. An event replaces the one the same conversation left earlier that week.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine

from helpmate.errors import HelpmateError
from helpmate.insight.events import Event
from helpmate.insight.schema import HEAD, event_alerts, event_needs, event_pairs, event_records, events

if TYPE_CHECKING:
    from helpmate.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(settings: Settings) -> str:
    return settings.database_url or f"sqlite:///{settings.home / 'insight.db'}"


def shown_url(url: str) -> str:
    """The URL as it may be printed: never the password."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(a URL that is not valid)"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # in WAL: durable across a crash of the app
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def migrate(connection: Connection) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def current_revision(connection: Connection) -> str | None:
    if not sa.inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


class InsightStore:
    """One database. ``open`` it (migrating), ``write`` events, read with ``connect``."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    @classmethod
    def open(cls, url: str) -> InsightStore:
        where = shown_url(url)
        try:
            parsed = sa.make_url(url)
        except sa.exc.ArgumentError as exc:
            raise HelpmateError(
                f"the insight database URL is not valid: {where}",
                hint="set HELPMATE_DATABASE_URL to e.g. postgresql+psycopg://user:pass@host/db, or unset it",
            ) from exc
        sqlite = parsed.get_backend_name() == "sqlite"
        if sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            engine = sa.create_engine(
                parsed,
                pool_pre_ping=not sqlite,
                connect_args={} if sqlite else {"connect_timeout": 5},
            )
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
            raise HelpmateError(
                f"cannot use the insight database {where}: {type(exc).__name__}: {exc}",
                hint="use sqlite:///PATH or postgresql+psycopg://...",
            ) from exc
        if sqlite:
            sa_event.listen(engine, "connect", _sqlite_pragmas)
        try:
            with engine.begin() as connection:
                if current_revision(connection) != HEAD:
                    migrate(connection)
        except sa.exc.SQLAlchemyError as exc:
            engine.dispose()
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise HelpmateError(
                f"cannot open the insight database {where}: {reason}",
                hint="check HELPMATE_DATABASE_URL and that the server is up, or turn recording off "
                "with [insight] record = false",
            ) from exc
        return cls(engine, url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def write(self, event: Event) -> None:
        """Add the event, replacing the one its conversation left earlier the same week."""
        self.write_many([event])

    def write_many(self, batch: Sequence[Event]) -> None:
        with self.engine.begin() as connection:
            keys = [(e.key, e.week) for e in batch]
            old = [
                row.id
                for chunk in _chunks(keys, 400)
                for row in connection.execute(
                    sa.select(events.c.id).where(
                        sa.tuple_(events.c.key, events.c.week).in_(chunk)
                        if len(chunk) > 1
                        else sa.and_(events.c.key == chunk[0][0], events.c.week == chunk[0][1])
                    )
                )
            ]
            if old:
                for table in (event_needs, event_pairs, event_alerts, event_records, events):
                    column = table.c.id if table is events else table.c.event_id
                    for chunk_ids in _chunks(old, 500):
                        connection.execute(table.delete().where(column.in_(chunk_ids)))
            ids = self._insert_events(connection, batch)
            needs, pairs, alerts, records = [], [], [], []
            for event_id, e in zip(ids, batch, strict=True):
                place = {"event_id": event_id, "week": e.week, "area": e.area, "locality": e.locality}
                needs += [
                    {**place, "need": n.need, "strength": n.strength, "met_service": n.met_service,
                     "met_community": n.met_community}
                    for n in e.needs
                ]  # fmt: skip
                found = sorted({n.need for n in e.needs})
                pairs += [
                    {**place, "need": a, "other": b} for i, a in enumerate(found) for b in found[i + 1 :]
                ]
                alerts += [{**place, "category": c, "count": k} for c, k in e.alerts.items()]
                records += [
                    {**place, "record": r.record, "track": r.track, "need": r.need, "pinned": r.pinned,
                     "dismissed": r.dismissed}
                    for r in e.records
                ]  # fmt: skip
            for table, rows in (
                (event_needs, needs),
                (event_pairs, pairs),
                (event_alerts, alerts),
                (event_records, records),
            ):
                if rows:
                    connection.execute(table.insert(), rows)

    def _insert_events(self, connection: Connection, batch: Sequence[Event]) -> list[int]:
        rows = [{"key": e.key, "week": e.week, "area": e.area, "locality": e.locality} for e in batch]
        if len(rows) == 1:
            return [int(connection.execute(events.insert().returning(events.c.id), rows[0]).scalar_one())]
        connection.execute(events.insert(), rows)
        found = {}
        for chunk in _chunks([(e.key, e.week) for e in batch], 400):
            query = sa.select(events.c.id, events.c.key, events.c.week).where(
                sa.tuple_(events.c.key, events.c.week).in_(chunk)
            )
            found.update({(row.key, row.week): row.id for row in connection.execute(query)})
        return [int(found[(e.key, e.week)]) for e in batch]

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())

    def size_bytes(self) -> int | None:
        """The database's size on disk (SQLite file with its WAL, or PostgreSQL's database size)."""
        if self.dialect == "sqlite":
            path = Path(self.engine.url.database or "")
            return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists()) or None
        if self.dialect == "postgresql":
            with self.engine.connect() as connection:
                return int(
                    connection.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one()
                )
        return None


def _chunks(items: Sequence[Any] | Iterable[Any], size: int) -> list[list[Any]]:
    items = list(items)
    return [items[i : i + size] for i in range(0, len(items), size)]


def open_insight(settings: Settings) -> InsightStore:
    return InsightStore.open(database_url(settings))
