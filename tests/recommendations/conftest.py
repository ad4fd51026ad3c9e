"""The small demo world, seeded once per test module instead of once per test.

``seed_demo`` at this size is most of a platform test's set-up. ``seeded_demo``
runs it once, inside a transaction that stays open for the module and is rolled
back after it; each test's own transaction (pytest-django's, for non-transactional
tests) nests inside as a savepoint, so whatever a test writes, retrains included,
is gone before the next test starts from the same seeded rows.
"""

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.core.management import call_command
from django.db import transaction

from demo import seed

T = TypeVar("T")

SMALL = ["--users", "40", "--videos", "48", "--courses", "4", "--events", "1600", "--no-ab-tests"]


def rows_kept_for_the_scope(django_db_blocker: Any, make: Callable[[], T]) -> Iterator[T]:
    """Run ``make`` in a transaction that stays open while the fixture's scope lasts, yield what
    it made, then roll it back. Tests (and narrower fixtures like this one) nest inside it."""
    rows = transaction.atomic()
    with django_db_blocker.unblock():
        rows.__enter__()
        try:
            made = make()
        except BaseException as error:
            rows.__exit__(type(error), error, error.__traceback__)
            raise
    yield made
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        rows.__exit__(None, None, None)


def _seed() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(seed, "DISTINCT_CLIPS", 3)  # rows matter here, not pixels
        call_command("seed_demo", *SMALL)


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    yield from rows_kept_for_the_scope(django_db_blocker, _seed)
