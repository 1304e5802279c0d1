"""Migration tests: the test database moved to an older state and back to the latest, in one place."""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Move the database to ``targets`` (a list of (app, migration)) and return the models as they were there."""
    ContentType.objects.clear_cache()
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest() -> None:
    """Every app at its latest migration again: what every other test expects of the database. Migrating one app
    back also unapplies the other apps' migrations that depend on it, so forward to one app's target is not enough."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


@contextmanager
def at_migrations(targets):
    """The database at ``targets`` for the block (the models there are yielded), and at the latest migration of
    every app afterwards, whatever happened in the block."""
    try:
        yield migrate(targets)
    finally:
        migrate_to_latest()
