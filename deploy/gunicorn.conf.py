"""gunicorn settings for kfplatform: ``gunicorn -c deploy/gunicorn.conf.py kfplatform.wsgi``.

bench/feed_serving.py starts the bench server with this very file, so the
measured figures (docs/benchmarks.md, "Feed and recommendation serving")
are those of this configuration. Every value can be overridden from the
environment (or on the command line, which wins over this file).

Why these values (2-core machine, PostgreSQL and Redis on loopback):

* ``gthread``: keeps idle keep-alive connections (nginx's upstream pool,
  ``deploy/nginx.conf``) in the worker's poller without tying up a thread,
  where the ``sync`` worker closes the connection after every response.
* Processes, not threads, give parallelism: the GIL lets one thread of a
  worker run Python at a time, and a cached page is almost all Python
  (session, user, three cache reads, DRF). Threads only fill the waits on
  PostgreSQL and Redis (~10-20 % of a cached request), so two per worker
  are enough; more threads add GIL hand-offs and lengthen the tail.
* ``workers = 2 x cores``: a request waiting on PostgreSQL or Redis frees
  the core for another process. See the benchmark for the measured choice.
* ``keepalive`` above nginx's upstream keep-alive timeout (60 s), so nginx,
  not gunicorn, closes idle upstream connections and never reuses one that
  gunicorn is closing.
"""

import multiprocessing
import os
import shutil
from pathlib import Path
from typing import Any

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 75))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
accesslog = None  # nginx logs requests
# gunicornc's control socket, one per checkout (the default, ~/.gunicorn/gunicorn.ctl,
# would be shared by every gunicorn of the user on the host).
control_socket = os.environ.get(
    "GUNICORN_CONTROL_SOCKET", str(Path(__file__).resolve().parent.parent / "var/gunicorn.ctl")
)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Prometheus multiprocess mode (ops/metrics.py): each worker process
# writes its samples to files in this service's folder, and /metrics adds up
# every service's folder beside it. make prod-web and the systemd unit set it;
# this default keeps a bare ``gunicorn -c deploy/gunicorn.conf.py`` counting.
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(__file__).resolve().parent.parent / "var/metrics/web")
)


def on_starting(server: Any) -> None:
    """Start from an empty folder: a previous run's samples would be counted again."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """A worker process that exits (restart, max requests) stops being a live one."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
