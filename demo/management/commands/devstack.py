"""``make run``'s server: the dev web server plus a real Celery worker with beat.

Production runs web, workers and beat as separate services on a real
broker; ``make run`` needs nothing but Python, so the broker here is
kombu's filesystem transport under ``var/broker`` (docs/decisions.md,
"make run keeps the platform alive"). Both children start together and
stop together: Ctrl-C (or SIGTERM) stops the worker gracefully, then the
server, and whatever either left behind in its process group; if one child
dies the other is stopped too, so no process outlives the command.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

FILESYSTEM_BROKER = "filesystem://"
# A child that has not stopped this long after SIGTERM is killed.
STOP_GRACE_SECONDS = 15.0
# What a stopped child left in its process group gets this long after each signal.
LEFTOVER_GRACE_SECONDS = 5.0


class Command(BaseCommand):
    help = (
        "Serve the site with a Celery worker and beat beside it (make run): "
        "tasks and periodic jobs run as in production, on a broker in var/broker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--noreload", action="store_true", help="Do not restart the server on code changes."
        )
        parser.add_argument(
            "--concurrency", type=int, default=2, help="Worker processes (default 2)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        env = _environment()
        children = {
            "worker": _start(_worker_command(options["concurrency"]), env),
            "web": _start(_server_command(options["addrport"], options["noreload"]), env),
        }
        self.stdout.write(
            f"devstack: web pid {children['web'].pid}, worker+beat pid "
            f"{children['worker'].pid}, broker {env['CELERY_BROKER_URL']}; Ctrl-C stops both"
        )
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, stop)
        try:
            while not stopping and all(p.poll() is None for p in children.values()):
                time.sleep(0.5)
        finally:
            for name, process in children.items():
                if process.poll() is not None and not stopping:
                    self.stderr.write(f"devstack: {name} exited ({process.returncode}); stopping")
            # All at once: the worker's warm shutdown finishes its running tasks
            # while the server stops.
            for process in children.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in children.values():
                _stop(process)


def _environment() -> dict[str, str]:
    """The children's environment: this one, plus the filesystem broker unless one is set."""
    env = dict(os.environ)  # manage.py has set DJANGO_SETTINGS_MODULE
    if not env.get("CELERY_BROKER_URL"):
        env["CELERY_BROKER_URL"] = FILESYSTEM_BROKER
    if env["CELERY_BROKER_URL"].startswith(FILESYSTEM_BROKER):
        # The folders settings/base.py names in CELERY_BROKER_TRANSPORT_OPTIONS.
        for folder in ("messages", "control"):
            (Path(settings.KF_DEV_BROKER_DIR) / folder).mkdir(parents=True, exist_ok=True)
    return env


def _server_command(addrport: str, noreload: bool) -> list[str]:
    command = [sys.executable, "manage.py", "runserver", addrport]
    return [*command, "--noreload"] if noreload else command


def _worker_command(concurrency: int) -> list[str]:
    queues = ",".join(settings.KF_WORKER_QUEUES)
    command = [sys.executable, "-m", "celery", "-A", "kfplatform", "worker", "-B", "-Q", queues]
    command += ["--concurrency", str(concurrency), "-l", "info"]
    # Beat's own schedule file is unused (the database scheduler keeps its
    # state in the database); keep it out of the checkout's root anyway.
    return [*command, "--schedule", str(Path(settings.KF_DEV_BROKER_DIR) / "celerybeat-schedule")]


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # A process group of its own: the terminal's Ctrl-C reaches only this
    # command, which then stops each child and everything the child started.
    return subprocess.Popen(command, env=env, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Wait for a child that was sent SIGTERM, then end what is left of its process group."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_GRACE_SECONDS)
    for signum in (signal.SIGTERM, signal.SIGKILL):
        if not _group_alive(process):
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signum)  # start_new_session: the child leads its group
        deadline = time.monotonic() + LEFTOVER_GRACE_SECONDS
        while _group_alive(process) and time.monotonic() < deadline:
            time.sleep(0.2)


def _group_alive(process: subprocess.Popen[bytes]) -> bool:
    process.poll()  # reap the leader, or its zombie keeps the group alive
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return False
    return True
