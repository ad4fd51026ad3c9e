"""The flush after a transactional test empties every table, as TRUNCATE did (tests/dbflush.py)."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection

from tests.factories import LessonFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _rows_left() -> dict[str, int]:
    kept = {ContentType._meta.db_table, Permission._meta.db_table}  # post_migrate remakes them
    counts = {
        model._meta.db_table: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return {table: n for table, n in counts.items() if n and table not in kept}


def test_the_flush_after_a_transactional_test_deletes_every_row_behind_every_key(postgres) -> None:
    # given: rows chained by foreign keys (a lesson's section, course, creator, asset)
    lesson = LessonFactory.create()
    UserFactory.create().groups.create(name="readers")  # an auto-created many-to-many row
    assert _rows_left()
    statements = connection.ops.sql_flush(no_style(), ["courses_lesson", "courses_course"])
    assert statements[0] == "SET CONSTRAINTS ALL DEFERRED;"
    # when: the flush pytest-django runs after a transactional test
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)
    # then: nothing is left, whatever pointed where; content types and permissions are back
    assert _rows_left() == {}
    assert ContentType.objects.get_for_model(type(lesson)).model == "lesson"
    assert Permission.objects.filter(codename="view_lesson").exists()


def test_a_flush_that_resets_sequences_still_truncates(postgres) -> None:
    statements = connection.ops.sql_flush(no_style(), ["courses_lesson"], reset_sequences=True)
    assert statements == ['TRUNCATE "courses_lesson" RESTART IDENTITY;']
