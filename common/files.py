"""Deleting stored files together with the rows that named them."""

from collections.abc import Iterable

from django.core.files.storage import Storage
from django.db import transaction


def files_delete_on_commit(*, storage: Storage, names: Iterable[str]) -> None:
    """Delete ``names`` from ``storage`` once the current transaction commits
    (never before: a rollback keeps the rows, and so their files)."""
    doomed = [name for name in names if name]

    def delete() -> None:
        for name in doomed:
            storage.delete(name)

    transaction.on_commit(delete)
