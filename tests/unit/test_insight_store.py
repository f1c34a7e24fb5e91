"""The insight database: migrated when opened, an event replaced per conversation and week, and
every way to point it at a wrong place said in one line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpmate.errors import HelpmateError
from helpmate.insight.events import Event, NeedEvent, RecordEvent
from helpmate.insight.schema import HEAD, metadata
from helpmate.insight.store import MIGRATIONS, InsightStore, database_url, migrate
from helpmate.settings import Settings
from tests.conftest import free_port

WEEK = dt.date(2026, 11, 30)


def event(key: str = "a" * 32, week: dt.date = WEEK, need: str = "debt") -> Event:
    return Event(
        key,
        week,
        "bristol",
        None,
        (NeedEvent(need, 0.5, False, True),),
        {"domestic-abuse": 1},
        (RecordEvent("r1", "service", need), RecordEvent("r2", None, None, True, "closed")),
    )


def test_an_empty_database_migrates_to_head_and_matches_the_tables_in_code(tmp_path: Path) -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with engine.begin() as connection:
        migrate(connection)
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        inspector = sa.inspect(connection)
        for table in metadata.sorted_tables:
            assert {c["name"] for c in inspector.get_columns(table.name)} == {c.name for c in table.columns}
            assert {i["name"] for i in inspector.get_indexes(table.name)} >= {i.name for i in table.indexes}
        migrate(connection)  # at head already: nothing to do, nothing fails
    engine.dispose()


def test_opening_creates_the_database_in_home_and_an_event_replaces_its_conversations_earlier_one(
    tmp_path: Path,
) -> None:
    settings = Settings(home=tmp_path / "home")
    assert database_url(settings) == f"sqlite:///{tmp_path / 'home' / 'insight.db'}"
    store = InsightStore.open(database_url(settings))
    store.write(event(need="debt"))
    store.write(event(need="housing"))  # the same conversation, later the same week
    store.write(event(week=WEEK + dt.timedelta(days=7)))  # resumed the next week: a new row
    assert store.count() == 2
    with store.engine.connect() as connection:
        needs = connection.execute(sa.text("SELECT need FROM event_needs ORDER BY week")).scalars().all()
        assert needs == ["housing", "debt"]
        assert connection.execute(sa.text("SELECT count(*) FROM event_records")).scalar() == 4
    store.close()
    assert (tmp_path / "home" / "insight.db").exists()


def test_a_batch_writes_many_events_at_once(tmp_path: Path) -> None:
    store = InsightStore.open(f"sqlite:///{tmp_path / 'i.db'}")
    store.write_many([event(key=f"{i:032d}") for i in range(50)])
    store.write_many([event(key=f"{i:032d}", need="housing") for i in range(10)])
    assert store.count() == 50
    with store.engine.connect() as connection:
        assert (
            connection.execute(sa.text("SELECT count(*) FROM event_needs WHERE need='housing'")).scalar()
            == 10
        )
    store.close()


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("not a url", "not valid"),
        ("nosuchdb://x/y", "cannot use the insight database"),
        (
            f"postgresql+psycopg://helpmate:secret@127.0.0.1:{free_port()}/insight",
            "cannot open the insight database",
        ),
    ],
)
def test_a_wrong_database_url_is_one_line_without_the_password(url: str, said: str) -> None:
    with pytest.raises(HelpmateError) as caught:
        InsightStore.open(url)
    message = str(caught.value)
    assert said in message and "secret" not in message and "\n" not in message
    assert "HELPMATE_DATABASE_URL" in caught.value.hint or "sqlite" in caught.value.hint
