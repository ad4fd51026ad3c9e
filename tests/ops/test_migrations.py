"""ops.0001 on a database migrated before WorkerHeartbeat left kfplatform/."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ops.models import WorkerHeartbeat


def _migrate(target: list[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


@pytest.mark.django_db(transaction=True)
def test_the_kfplatform_table_is_adopted_with_its_rows() -> None:
    # given a database as kfplatform.0001 left it: the table under its old name, with a row
    _migrate([("ops", None)])
    try:
        with connection.schema_editor() as editor:
            editor.create_model(WorkerHeartbeat)
            editor.alter_db_table(
                WorkerHeartbeat, "ops_workerheartbeat", "kfplatform_workerheartbeat"
            )
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO kfplatform_workerheartbeat (queue, seen_at, hostname)"
                " VALUES (%s, %s, %s)",
                ["default", timezone.now(), "old-host"],
            )
        # when ops.0001 runs
        _migrate([("ops", "0001_initial")])
        # then the one table has the new name and kept the row, and new rows go in
        assert "kfplatform_workerheartbeat" not in _tables()
        WorkerHeartbeat.objects.create(queue="media", seen_at=timezone.now())
        rows = sorted(WorkerHeartbeat.objects.values_list("queue", "hostname"))
        assert rows == [("default", "old-host"), ("media", "")]
    finally:
        if "kfplatform_workerheartbeat" in _tables():
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE kfplatform_workerheartbeat")
        _migrate([("ops", "0001_initial")])


@pytest.mark.django_db(transaction=True)
def test_a_new_database_gets_the_table_under_the_ops_name() -> None:
    # given no heartbeat table at all
    _migrate([("ops", None)])
    assert "ops_workerheartbeat" not in _tables()
    # when ops.0001 runs, then it creates it
    _migrate([("ops", "0001_initial")])
    assert "ops_workerheartbeat" in _tables()
    assert "kfplatform_workerheartbeat" not in _tables()
