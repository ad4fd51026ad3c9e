import sqlite3
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from common.lookups import AnyOf
from courses.models import ShortVideo
from tests.factories import ShortVideoFactory


@pytest.mark.django_db
def test_any_of_finds_exactly_the_rows_among_the_ids() -> None:
    videos = ShortVideoFactory.create_batch(3)
    wanted = [videos[0].pk, videos[2].pk, videos[2].pk, 10**9]  # a repeat and an unknown id

    found = ShortVideo.objects.filter(AnyOf(F("pk"), wanted)).values_list("pk", flat=True)

    assert sorted(found) == sorted([videos[0].pk, videos[2].pk])
    assert not ShortVideo.objects.filter(AnyOf(F("pk"), []))


@pytest.mark.django_db
def test_any_of_binds_one_parameter_however_many_ids() -> None:
    with CaptureQueriesContext(connection) as queries:
        list(ShortVideo.objects.filter(AnyOf(F("pk"), range(1, 501))))

    where = queries.captured_queries[0]["sql"].split("WHERE", 1)[1]
    assert " IN (" not in where or "json_each" in where
    assert ("ANY(" if connection.vendor == "postgresql" else "json_each(") in where


class _Compiler:
    query = None

    def compile(self, expression: object) -> tuple[str, list[object]]:
        return "id", []


def test_the_sqlite_form_runs_on_sqlite() -> None:
    """``make run``'s database: the ids travel as one JSON array."""
    sql, params = AnyOf("id", [2, 3, 3, 9]).as_sql(_Compiler(), SimpleNamespace(vendor="sqlite"))
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (id INTEGER)")
    db.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(1, 6)])

    rows = db.execute(f"SELECT id FROM t WHERE {sql.replace('%s', '?')} ORDER BY id", params)

    assert [row[0] for row in rows] == [2, 3]
    assert params == ["[2, 3, 3, 9]"]
