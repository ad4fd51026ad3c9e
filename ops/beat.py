"""Exactly one beat: django-celery-beat's scheduler, active in one process at a time.

django-celery-beat has no lock of its own, so two beat processes (a second
host, a unit started twice) would send every periodic task twice. This
scheduler sends nothing until it holds a PostgreSQL advisory lock on a
connection of its own; a second beat stands by and takes over within
seconds of the first dying, because PostgreSQL frees the lock when the dead
process's connection closes (``common.locks``). If the lock's connection
is lost while running, it stops scheduling until it holds the lock again.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger(__name__)

LOCK_NAME = "celery.beat"
STANDBY_SECONDS = 5.0


class SingleBeatScheduler(DatabaseScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._lock_connection: BaseDatabaseWrapper | None = None
        self._standing_by = False
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._holds_lock():
            return STANDBY_SECONDS
        return float(super().tick(*args, **kwargs))

    def close(self) -> None:
        super().close()
        self._release()

    def _holds_lock(self) -> bool:
        if self._lock_connection is not None:
            if _alive(self._lock_connection):
                return True
            logger.error("beat lost its lock's database connection; scheduling stops")
            self._release()
        return self._acquire()

    def _acquire(self) -> bool:
        connection = connections.create_connection("default")
        if connection.vendor != "postgresql":
            self._lock_connection = connection  # one process by design (SQLite)
            return True
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [LOCK_NAME])
                acquired = bool(cursor.fetchone()[0])
        except DatabaseError:
            logger.warning("beat cannot reach the database to take its lock", exc_info=True)
            connection.close()
            return False
        if not acquired:
            connection.close()
            if not self._standing_by:
                logger.warning("another beat holds the lock; this one stands by")
            self._standing_by = True
            return False
        self._lock_connection = connection
        self._standing_by = False
        logger.warning("this beat holds the lock and sends the periodic tasks")
        return True

    def _release(self) -> None:
        connection, self._lock_connection = self._lock_connection, None
        if connection is not None:
            try:
                connection.close()  # ending the session frees its advisory locks
            except DatabaseError:
                logger.warning("beat lock connection did not close cleanly", exc_info=True)


def _alive(connection: BaseDatabaseWrapper) -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return False
    return True
