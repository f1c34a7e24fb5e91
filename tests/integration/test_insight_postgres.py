"""Insight on a real PostgreSQL server (Debian's package, a throwaway cluster on loopback): the
migrations run on an empty database, events are written and replaced, and the report's figures
are the same as on SQLite. CI (``.ci/run``) installs PostgreSQL; elsewhere the test is skipped,
saying why, only when the binaries are missing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpmate.insight.reports import build_report
from helpmate.insight.schema import HEAD
from helpmate.insight.store import InsightStore
from helpmate.knowledge.library import load_library
from tests.pgserver import pg_bin, postgres_server
from tests.unit.test_insight_report import TODAY, log

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    if pg_bin("pg_ctl") is None and not os.environ.get("CI"):
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql); CI installs it and runs this")
    with postgres_server() as url:
        yield url


def test_postgresql_migrates_writes_and_reports_as_sqlite_does(
    postgres_url: str, library: Path, tmp_path: Path
) -> None:
    store = InsightStore.open(postgres_url)
    assert store.dialect == "postgresql"
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD
    store.write_many(log())
    store.write_many(log()[:3])  # the same conversations again: replaced, not added
    lite = InsightStore.open(f"sqlite:///{tmp_path / 'insight.db'}")
    lite.write_many(log())
    lib = load_library(library)
    on_pg, on_lite = build_report(store, lib, today=TODAY), build_report(lite, lib, today=TODAY)
    for doc in (on_pg, on_lite):
        doc["meta"].pop("database")
    assert on_pg == on_lite
    assert on_pg["conversations"] == 14
    assert (store.size_bytes() or 0) > 0
    again = InsightStore.open(postgres_url)  # at head already: opens without migrating
    assert again.count() == 14
    again.close()
    store.close()
    lite.close()
