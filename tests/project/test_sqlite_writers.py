"""The embedded default's writers take turns in the kernel's queue (``project.sqlite``), not in SQLite's busy
handler: a transaction holds the queue's file lock from BEGIN to COMMIT or ROLLBACK (or close), a second writer
waits for it and then proceeds, and every write of two processes' racing threads is stored."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

ROOT = Path(__file__).resolve().parents[2]


def _connections(path: Path) -> ConnectionHandler:
    options = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    return ConnectionHandler(
        {alias: {"ENGINE": "project.sqlite", "NAME": str(path), "OPTIONS": options} for alias in ("default", "second")}
    )


def _held(path: Path) -> bool:
    """Whether some connection holds the writers' lock beside ``path`` (asked without waiting)."""
    fd = os.open(f"{path}-writers.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing drops the lock if this took it
    return False


def _begin(connection) -> None:
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


@pytest.fixture
def database(tmp_path, django_db_blocker):
    """A database file of its own, outside the suite's test database (whose connections pytest-django guards)."""
    path = tmp_path / "site.sqlite3"
    handler = _connections(path)
    with django_db_blocker.unblock():
        with handler["default"].cursor() as cursor:
            cursor.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT)")
        yield path, handler
        handler.close_all()


def test_a_transaction_holds_the_writers_lock_until_commit_rollback_or_close(database):
    path, handler = database
    first = handler["default"]
    assert not _held(path)
    _begin(first)
    assert _held(path)
    first.cursor().execute("INSERT INTO note (text) VALUES ('一')")
    first.commit()
    first.set_autocommit(True)
    assert not _held(path)
    _begin(first)
    first.rollback()
    first.set_autocommit(True)
    assert not _held(path)
    _begin(first)
    first.close()  # a connection closed mid-transaction (a killed request) gives the lock back
    assert not _held(path)


def test_a_second_writer_waits_for_the_first_then_writes(database):
    path, handler = database
    first = handler["default"]
    _begin(first)
    began = threading.Event()

    def second_writer():
        second = _connections(path)["second"]
        _begin(second)  # waits here, in the kernel, while the first holds the lock
        began.set()
        second.cursor().execute("INSERT INTO note (text) VALUES ('二')")
        second.commit()
        second.close()

    thread = threading.Thread(target=second_writer)
    thread.start()
    assert not began.wait(0.3)  # still queued behind the first
    first.cursor().execute("INSERT INTO note (text) VALUES ('一')")
    first.commit()
    first.set_autocommit(True)
    thread.join(10)
    assert began.is_set()
    assert [text for (text,) in first.cursor().execute("SELECT text FROM note ORDER BY id")] == ["一", "二"]


WRITER = """
import sys, threading
sys.path.insert(0, {root!r})
from django.conf import settings
settings.configure(USE_TZ=True)
import django; django.setup()
from django.db.utils import ConnectionHandler
handler = ConnectionHandler({{"default": {{"ENGINE": "project.sqlite", "NAME": {path!r},
    "OPTIONS": {{"transaction_mode": "IMMEDIATE", "timeout": 20}}}}}})
def run(n):
    from django.db.utils import ConnectionHandler as H
    connection = H({{"default": handler.settings["default"]}})["default"]
    for i in range(n):
        connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
        cursor = connection.cursor()
        cursor.execute("SELECT COUNT(*) FROM note")
        cursor.execute("INSERT INTO note (text) VALUES ('x')")
        connection.commit()
        connection.set_autocommit(True)
    connection.close()
threads = [threading.Thread(target=run, args=(25,)) for _ in range(6)]
[t.start() for t in threads]; [t.join() for t in threads]
"""


def test_two_processes_of_racing_writers_store_every_write(database):
    path, handler = database
    with handler["default"].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
    code = WRITER.format(root=str(ROOT), path=str(path))
    processes = [subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for process in processes:
        assert process.wait(120) == 0, process.stderr.read()
    with handler["default"].cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM note")
        assert cursor.fetchone() == (2 * 6 * 25,)
    assert not _held(path)


def test_a_connection_dropped_unclosed_gives_the_lock_back_when_collected(database):
    """A thread that ends inside a transaction without closing its connection does not keep the queue waiting."""
    import gc

    path, _handler = database

    def dropped():
        connection = _connections(path)["second"]
        _begin(connection)
        assert _held(path)

    thread = threading.Thread(target=dropped)
    thread.start()
    thread.join(10)
    gc.collect()
    assert not _held(path)
