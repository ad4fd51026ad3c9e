"""The template test database is keyed on the migrated state, so a stale one is never copied."""

from pathlib import Path

from django.conf import settings

from . import dbtemplate


def test_changing_a_migration_changes_the_template_key(tmp_path, monkeypatch):
    migration = tmp_path / "0001_initial.py"
    migration.write_text("operations = []\n")
    monkeypatch.setattr(dbtemplate, "_migration_files", lambda: [migration])
    before = dbtemplate.migrated_state_digest()
    assert dbtemplate.migrated_state_digest() == before

    migration.write_text("operations = ['AddField']\n")

    assert dbtemplate.migrated_state_digest() != before


def test_project_code_a_migration_imports_is_part_of_the_key():
    base = Path(settings.BASE_DIR)
    migration = base / "analytics/migrations/0007_event_partitions_and_keys.py"

    sources = dbtemplate._project_modules_imported_by([migration])

    assert (base / "analytics/partitions.py").resolve() in sources
    assert all(".venv" not in path.parts for path in sources)  # Django itself: by version


def test_every_installed_apps_migrations_are_hashed():
    folders = {path.parent.parent.name for path in dbtemplate._migration_files()}

    assert {"courses", "commerce", "analytics", "auth", "contenttypes", "axes"} <= folders


def test_a_virtual_environment_inside_the_checkout_is_not_project_source(tmp_path) -> None:
    # CI's clean clone keeps its .venv inside the checkout: Django's migrations there, and
    # built-in modules they import, are not the project's files (seen in CI: "built-in")
    assert dbtemplate._is_project_source(tmp_path / "courses" / "models.py", tmp_path)
    venv = tmp_path / ".venv" / "lib" / "python3.11" / "site-packages" / "django" / "m.py"
    assert not dbtemplate._is_project_source(venv, tmp_path)
    assert not dbtemplate._is_project_source(tmp_path.parent / "elsewhere.py", tmp_path)
