"""GIN indexes for full-text search on PostgreSQL; nothing on SQLite.

The expressions are exactly what ``SearchVector("search_text",
config="simple")`` compiles to in ``courses.search``, so the planner can use
them. SQLite matches with LIKE over a few thousand rows and needs none.
"""

from django.db import migrations

INDEXES = [
    ("courses_shortvideo", "video_search_text_gin"),
    ("courses_course", "course_search_text_gin"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin "
            "(to_tsvector('simple'::regconfig, COALESCE(search_text, '')))"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0002_viewer_features"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
