"""Test settings: fixed secret, fast hashing, media in a temporary folder.

Tasks run eagerly even when a broker is configured; the real-worker tests
turn that off for themselves. Parallel test processes (pytest-xdist) each
get their own Redis database, counted from the one REDIS_URL names, so
clearing the cache in one never touches another, and two checkouts whose
REDIS_URLs name databases far enough apart (0 and 3, say) never meet.
"""

import os
import tempfile
from pathlib import Path

from ops.config import redis_cache_settings, redis_database_after

from .base import *  # noqa: F403

SECRET_KEY = "test-only-not-secret"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=tempfile.mkdtemp(prefix="kf-test-media-"))  # noqa: F405
LANGUAGE_CODE = "en"
CELERY_TASK_ALWAYS_EAGER = True
# pytest-xdist's processes are the parallelism here: two OpenMP threads each on two cores
# spin against each other, and implicit's ALS fit of a 30-viewer test catalogue took
# 0.2-1.7 s with 2 threads against 0.02-0.06 s with 1 on the loaded machine (docs/decisions.md).
RECOMMENDATIONS_THREADS = env.int("RECOMMENDATIONS_THREADS", default=1)  # noqa: F405
# Loading the OCR and detector models costs seconds a process: the tests of the
# video analysis switch it on for themselves (tests/courses/test_video_analysis.py).
COURSES_VISION_ENABLED = False

_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_worker_number = int(_worker[2:]) if _worker[2:].isdigit() else 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not shared-cache memory: browser tests hit the live server from
    # several threads, and shared-cache SQLite answers "table is locked" at
    # once where a file database in WAL mode waits its turn. One file per
    # process, so parallel runs on one machine never share a database.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(Path(tempfile.gettempdir()) / f"kf-test-{os.getpid()}.sqlite3")
    }
if REDIS_URL:  # noqa: F405
    TEST_REDIS_URL = redis_database_after(REDIS_URL, 1 + _worker_number)  # noqa: F405
    CACHES = {
        "default": redis_cache_settings(
            TEST_REDIS_URL,
            name="cache",
            socket_timeout=KF_CACHE_SOCKET_TIMEOUT,  # noqa: F405
        )
    }
SESSION_CACHE_ALIAS = "default"  # one Redis database per test process, sessions included
CACHES.pop("sessions", None)
