"""The small demo world, seeded once per test module instead of once per test.

``seed_demo`` at this size is most of a platform test's set-up. ``seeded_demo``
runs it once, inside a transaction that stays open for the module and is rolled
back after it; each test's own transaction (pytest-django's, for non-transactional
tests) nests inside as a savepoint, so whatever a test writes, retrains included,
is gone before the next test starts from the same seeded rows.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from demo import seed
from tests.conftest import rows_kept_for_the_scope

SMALL = ["--users", "40", "--videos", "48", "--courses", "4", "--events", "1600", "--no-ab-tests"]


def _seed() -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(seed, "DISTINCT_CLIPS", 3)  # rows matter here, not pixels
        call_command("seed_demo", *SMALL)


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    yield from rows_kept_for_the_scope(django_db_blocker, _seed)
