"""Locks that a killed process cannot leave behind.

A PostgreSQL session-level advisory lock belongs to the database
connection that took it: when the process holding it dies (``kill -9``,
OOM), its connection closes and PostgreSQL frees the lock at once. Nothing
to expire, nothing to clean up, unlike a row or a cache key with a TTL.
Connection poolers in transaction mode (pgbouncer) hand a session to
another client between transactions and break this: connect directly.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)


def advisory_locks_supported() -> bool:
    """Whether :func:`advisory_lock` excludes other processes (PostgreSQL only)."""
    return connection.vendor == "postgresql"


@contextmanager
def advisory_lock(name: str) -> Iterator[bool]:
    """Try to hold the lock called ``name`` while the block runs; never waits.

    Yields True when this connection holds it, False when another session
    does. On databases without advisory locks (SQLite: one process) it
    always yields True.
    """
    if not advisory_locks_supported():
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [name])
        acquired = bool(cursor.fetchone()[0])
    try:
        yield acquired
    finally:
        if acquired:
            _unlock(name)


def _unlock(name: str) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [name])
    except DatabaseError:
        # Gone with its connection, or (an aborted transaction) freed when
        # the connection closes; either way nothing else can be done here.
        logger.warning("could not release advisory lock %s", name, exc_info=True)
