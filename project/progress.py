"""Progress of long work, written to its row so that every app server can show it.

A task that works outside a transaction writes its progress with an ordinary
update. A task whose work is one transaction (the register import is all or
nothing) cannot: its own updates stay invisible until the commit. On
PostgreSQL its progress goes through a second connection of the worker's own,
which commits each update at once; the row must not be locked by the work's
transaction meanwhile (write the row's final state last). SQLite has one writer
at a time, so there the progress inside a transaction is not written: the row
shows the stage ("being imported") until the end.
"""

from __future__ import annotations

import logging
import threading

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, models
from django.utils import timezone

logger = logging.getLogger(__name__)
_side = threading.local()


def _side_connection():
    side = getattr(_side, "connection", None)
    if side is None:
        side = connections.create_connection(DEFAULT_DB_ALIAS)
        with side.cursor() as cursor:
            # Progress is worth a short wait, never a stuck import.
            cursor.execute("SET lock_timeout = '2s'")
        _side.connection = side
    return side


def set_state(model: type[models.Model], pk: int, *, expect=None, **fields) -> bool:
    """Write ``fields`` (and ``updated_at``) of ``model`` row ``pk`` in its own short statement, only if its
    ``status`` is ``expect`` (one value or several) when given: the compare-and-set that lets a task run twice
    do nothing more. Returns whether the row was written. Every app server reads the work's state from it."""
    rows = model.objects.filter(pk=pk)
    if expect is not None:
        rows = rows.filter(status__in=expect if isinstance(expect, (list, tuple)) else [expect])
    return bool(rows.update(updated_at=timezone.now(), **fields))


def write_progress(model: type[models.Model], pk: int, **fields) -> None:
    """Set ``fields`` (and ``updated_at``) of ``model`` row ``pk``, visible to other connections at once."""
    fields["updated_at"] = timezone.now()
    if not connection.in_atomic_block:
        model.objects.filter(pk=pk).update(**fields)
        return
    if connection.vendor != "postgresql":
        return
    side = _side_connection()
    quote = side.ops.quote_name
    columns, params = [], []
    for name, value in fields.items():
        field = model._meta.get_field(name)
        columns.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, side))
    # Raw SQL because the ORM only speaks through registered connections; the update is one row by key.
    table, key = quote(model._meta.db_table), quote(model._meta.pk.column)
    sql = f"UPDATE {table} SET {', '.join(columns)} WHERE {key} = %s"  # noqa: S608 (quoted names, values as parameters)
    try:
        with side.cursor() as cursor:
            cursor.execute(sql, [*params, pk])
    except DatabaseError:
        logger.warning("progress of %s %s could not be written", model._meta.label, pk, exc_info=True)


def close() -> None:
    """Close this thread's progress connection (at the end of a task)."""
    side = getattr(_side, "connection", None)
    if side is not None:
        side.close()
        _side.connection = None
