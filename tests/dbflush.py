"""The flush after each transactional test: DELETE, not TRUNCATE, on PostgreSQL.

A test with ``transaction=True`` (every browser test, the real-worker tests)
commits its rows, so pytest-django empties every table after it with Django's
``flush``, which on PostgreSQL is one ``TRUNCATE`` of all 89 tables. TRUNCATE
gives each table and index a new file and drops the old one's buffers: 2.5 to
4 s a test on the loaded 2-core machine, against 0.03 s for deleting the few
rows a test leaves (docs/decisions.md, "The suite's time"). The result is the
same: every table empty, sequences untouched (Django's flush resets them only
when asked, and then this hands over to TRUNCATE), followed by the same
``post_migrate`` (content types and permissions made again).

Django creates every foreign key ``DEFERRABLE INITIALLY DEFERRED``, so the
deletes run in any order inside the flush's transaction, and the keys are
checked at its commit, when nothing is left to point anywhere. Partial
flushes (``available_apps``, which cascade) keep TRUNCATE.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.postgresql.operations import DatabaseOperations


def _delete_flush_sql(
    ops: BaseDatabaseOperations,
    style: Any,
    tables: Sequence[str],
    *,
    reset_sequences: bool = False,
    allow_cascade: bool = False,
) -> list[str]:
    if reset_sequences or allow_cascade or not tables:
        return _TRUNCATE_FLUSH_SQL(
            ops, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    deletes = [f"{style.SQL_KEYWORD('DELETE FROM')} {ops.quote_name(t)};" for t in tables]
    return [style.SQL_KEYWORD("SET CONSTRAINTS ALL DEFERRED;"), *deletes]


_TRUNCATE_FLUSH_SQL = DatabaseOperations.sql_flush


@contextmanager
def flush_by_delete() -> Iterator[None]:
    """PostgreSQL's ``sql_flush`` deletes rows while this is open (test processes only)."""
    DatabaseOperations.sql_flush = _delete_flush_sql  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        DatabaseOperations.sql_flush = _TRUNCATE_FLUSH_SQL  # type: ignore[method-assign]
