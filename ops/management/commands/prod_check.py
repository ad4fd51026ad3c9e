import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from common.storage import MediaStore, as_media_store
from ops.health import Check, infrastructure_checks


class Command(BaseCommand):
    help = (
        "Check the production environment before starting (make prod-check): the "
        "settings (loading them validates every variable), Django's deploy checks, "
        "and that the database, both Redis databases, the broker, the media folder (or "
        "object store) and the static folder are reachable and writable."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("check", deploy=True)
        checks = infrastructure_checks()
        store = as_media_store(default_storage)
        if store is not None:
            checks["media store"] = _store_writable(store)
        else:
            checks["media folder"] = _writable(Path(settings.MEDIA_ROOT))
        checks["static folder"] = _writable(Path(settings.STATIC_ROOT))
        if checks["database"].ok:
            checks["migrations"] = _migrations()
        for name, check in checks.items():
            if check.ok:
                mark = self.style.SUCCESS("ok  ")
            elif name == "migrations":  # expected before make prod-migrate
                mark = self.style.WARNING("todo")
            else:
                mark = self.style.ERROR("FAIL")
            self.stdout.write(f"{mark} {name}: {check.detail}")
        failed = [name for name, check in checks.items() if not check.ok and name != "migrations"]
        if failed:
            raise CommandError(f"Not ready for production: {', '.join(failed)}.")
        self.stdout.write(self.style.SUCCESS("The environment is ready."))


def _writable(folder: Path) -> Check:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as exc:
        return Check(
            ok=False, detail=f"{folder}: {exc.strerror or exc}; create it for the service user"
        )
    return Check(ok=True, detail=f"{folder} is writable")


def _store_writable(store: MediaStore) -> Check:
    """Write and delete one small object in the media store."""
    name = f"private/prod-check/{uuid.uuid4().hex}"
    try:
        store.save(name, ContentFile(b"ok"))
        store.delete(name)
    except Exception as exc:  # any failure of the store is the answer
        return Check(ok=False, detail=f"bucket {store.bucket_name}: {exc}")
    return Check(ok=True, detail=f"bucket {store.bucket_name} is writable")


def _migrations() -> Check:
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        return Check(ok=False, detail=f"{len(pending)} to apply: run make prod-migrate")
    return Check(ok=True, detail="all applied")
