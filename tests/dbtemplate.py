"""Test databases cloned from a migrated template, so migrations run once, not per worker.

Each pytest-xdist worker used to migrate its own empty database, and migrating
is most of a worker's start-up. Now the first worker migrates a template
database, and every worker (this run's and later runs') copies it: with
``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, a file copy on SQLite.

The template's name carries a digest of everything the migrated state depends
on: every installed app's migration files, the project modules those
migrations import, the installed apps and models, Django's version, and the
UTC date (migration ``analytics.0007`` creates month partitions around today).
A changed migration therefore gives a new name, the old template is dropped,
and a stale template is never copied. A lock (PostgreSQL advisory lock,
a file lock for SQLite) lets one worker build while the others wait, and the
template is built under a temporary name and renamed when complete, so an
interrupted build is never used. In-memory SQLite keeps Django's own set-up.
"""

import ast
import fcntl
import hashlib
import importlib.util
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

TEMPLATE_FORMAT = "1"  # bump to retire every existing template


def _migration_files() -> list[Path]:
    files: list[Path] = []
    for app_config in apps.get_app_configs():
        folder = Path(app_config.path) / "migrations"
        if folder.is_dir():
            files += sorted(folder.glob("*.py"))
    return files


def _project_modules_imported_by(files: Iterable[Path]) -> list[Path]:
    """Source files of this project's modules that migrations import (their code runs too)."""
    root = Path(settings.BASE_DIR).resolve()
    names: set[str] = set()
    for path in files:
        if not _is_project_source(path.resolve(), root):
            continue  # Django's and third-party migrations: their versions are in the digest
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
    sources: list[Path] = []
    for name in sorted(names):
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.has_location or spec.origin is None:
            continue  # built-in or frozen modules have no source file
        origin = Path(spec.origin).resolve()
        if _is_project_source(origin, root):
            sources.append(origin)
    return sources


def _is_project_source(path: Path, root: Path) -> bool:
    """A file of this checkout, not of a virtual environment inside it (CI's .venv)."""
    return root in path.parents and not {".venv", "site-packages"} & set(path.parts)


def migrated_state_digest() -> str:
    """A digest that changes whenever a freshly migrated database could differ."""
    digest = hashlib.sha256()
    for part in (TEMPLATE_FORMAT, django.get_version(), datetime.now(UTC).date().isoformat()):
        digest.update(part.encode() + b"\0")
    digest.update(",".join(sorted(model._meta.label for model in apps.get_models())).encode())
    migrations = _migration_files()
    for path in migrations + _project_modules_imported_by(migrations):
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@contextmanager
def _locked(connection: BaseDatabaseWrapper, name: str) -> Iterator[Any]:
    """A cursor on the maintenance database, holding an advisory lock named ``name``."""
    key = zlib.crc32(name.encode())
    with connection._nodb_cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        try:
            yield cursor
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def _build_template(connection: BaseDatabaseWrapper, building: str, verbosity: int) -> None:
    """Migrate a new test database named ``building``; the caller renames it when complete."""
    test_settings = connection.settings_dict["TEST"]
    worker_name, original_name = test_settings["NAME"], connection.settings_dict["NAME"]
    test_settings["NAME"] = building
    try:
        connection.creation.create_test_db(verbosity, autoclobber=True, serialize=False)
    finally:
        connection.close()
        test_settings["NAME"] = worker_name
        connection.settings_dict["NAME"] = original_name
        settings.DATABASES[connection.alias]["NAME"] = original_name


def _drop_other_templates(cursor: Any, connection: BaseDatabaseWrapper, prefix: str, keep: str):
    """Drop templates of older migration states (one in use elsewhere stays for next time)."""
    cursor.execute(
        "SELECT datname FROM pg_database WHERE starts_with(datname, %s) AND datname <> %s",
        [prefix, keep],
    )
    for (name,) in cursor.fetchall():
        with suppress(DatabaseError):
            cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")


def _clone_postgresql(connection: BaseDatabaseWrapper, test_name: str, verbosity: int) -> None:
    quote = connection.ops.quote_name
    prefix = f"test_{connection.settings_dict['NAME']}_tpl_"
    template = prefix + migrated_state_digest()[:12]
    with _locked(connection, prefix) as cursor:
        if not _exists(cursor, template):
            _drop_other_templates(cursor, connection, prefix, keep=template)
            _build_template(connection, template + "_build", verbosity)
            cursor.execute(
                f"ALTER DATABASE {quote(template + '_build')} RENAME TO {quote(template)}"
            )
        if verbosity >= 1:
            connection.creation.log(f"Copying test database {test_name} from {template}...")
        cursor.execute(f"DROP DATABASE IF EXISTS {quote(test_name)}")
        cursor.execute(f"CREATE DATABASE {quote(test_name)} TEMPLATE {quote(template)}")


def _clone_sqlite(connection: BaseDatabaseWrapper, test_name: str, verbosity: int) -> None:
    checkout = hashlib.sha256(str(settings.BASE_DIR).encode()).hexdigest()[:8]
    folder = Path(tempfile.gettempdir())
    prefix = f"kf-test-template-{checkout}-"
    template = folder / f"{prefix}{migrated_state_digest()[:12]}.sqlite3"
    with open(folder / f"{prefix}lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            for old in folder.glob(f"{prefix}*.sqlite3"):
                old.unlink(missing_ok=True)
            _build_template(connection, str(template) + "_build", verbosity)
            os.replace(str(template) + "_build", template)
        if verbosity >= 1:
            connection.creation.log(f"Copying test database {test_name} from {template}...")
        shutil.copyfile(template, test_name)


def uses_template(alias: str) -> bool:
    """PostgreSQL, and SQLite in a file (test settings give each process one)."""
    connection = connections[alias]
    if connection.vendor == "sqlite":
        creation: Any = connection.creation  # private helpers the stubs leave out
        return not creation.is_in_memory_db(creation._get_test_db_name())
    return connection.vendor == "postgresql"


def clone_from_template(alias: str, verbosity: int, serialize: bool) -> str:
    """Give ``alias`` a fresh test database copied from the migrated template.

    Returns the name to restore on teardown (``destroy_test_db``'s ``old_database_name``).
    """
    connection: Any = connections[alias]  # private helpers the stubs leave out
    original_name = connection.settings_dict["NAME"]
    test_name = connection.creation._get_test_db_name()
    if connection.vendor == "postgresql":
        _clone_postgresql(connection, test_name, verbosity)
    else:
        _clone_sqlite(connection, test_name, verbosity)
    connection.close()
    settings.DATABASES[alias]["NAME"] = test_name
    connection.settings_dict["NAME"] = test_name
    if serialize:
        connection._test_serialized_contents = connection.creation.serialize_db_to_string()
    connection.ensure_connection()
    return original_name
