"""Alembic's environment: migrations run on the connection ``helpmate.insight.store`` hands over
(there is no alembic.ini and no URL here: nobody runs them by hand)."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
