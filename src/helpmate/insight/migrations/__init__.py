"""Alembic migrations of the insight database, shipped with the package and run when it is opened."""
