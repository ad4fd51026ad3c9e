"""deploy/systemd/ runs exactly what the make targets run, all under production settings."""

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from .servers import REPO

SYSTEMD = REPO / "deploy" / "systemd"
CHECKOUT = "/srv/kfplatform/"


def _environment(unit_text: str) -> dict[str, str]:
    pairs = [
        line.removeprefix("Environment=").partition("=")
        for line in unit_text.splitlines()
        if line.startswith("Environment=")
    ]
    return {name: value for name, _, value in pairs}


def _systemd_command(name: str, instance: str = "") -> list[str]:
    """The unit's ExecStart as the process sees it: variables and specifiers expanded."""
    text = (SYSTEMD / name).read_text().replace("%i", instance).replace("%%", "%")
    env = {k: v.replace(CHECKOUT, "") for k, v in _environment(text).items()}
    start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    argv = shlex.split(start.removeprefix("ExecStart=").replace(CHECKOUT, ""))
    argv = [re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], arg) for arg in argv]
    assignments = [f"{k}={v}" for k, v in env.items() if k != "KF_WORKER_CONCURRENCY"]
    return sorted(assignments) + argv


def _make_command(target: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KF_", "DJANGO_"))}
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", target],
        cwd=REPO,
        env={**env, "KF_WORKER_CONCURRENCY": "2"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    words = shlex.split(dry.splitlines()[-1])
    assignments = [w for w in words if re.match(r"^[A-Z_]+=", w)]
    return sorted(assignments) + words[len(assignments) :]


def test_the_web_unit_runs_make_prod_web() -> None:
    assert _systemd_command("kfplatform-web.service") == _make_command("prod-web")


def test_the_beat_unit_runs_make_prod_beat() -> None:
    assert _systemd_command("kfplatform-beat.service") == _make_command("prod-beat")


@pytest.mark.parametrize("queue", settings.KF_WORKER_QUEUES)
def test_each_worker_unit_runs_make_prod_worker(queue: str) -> None:
    assert _systemd_command("kfplatform-worker@.service", queue) == _make_command(
        f"prod-worker-{queue}"
    )


def test_the_target_starts_web_beat_and_a_worker_per_queue() -> None:
    text = (SYSTEMD / "kfplatform.target").read_text()
    wanted = {
        w for line in text.splitlines() if line.startswith("Wants=") for w in line[6:].split()
    }
    queues = {f"kfplatform-worker@{q}.service" for q in settings.KF_WORKER_QUEUES}
    assert wanted == {"kfplatform-web.service", "kfplatform-beat.service", *queues}


@pytest.mark.parametrize(
    "target",
    ["prod-check", "prod-migrate", "prod-static", "prod-nginx-conf", "prod-web", "prod-beat"]
    + [f"prod-worker-{q}" for q in settings.KF_WORKER_QUEUES],
)
def test_every_production_target_runs_under_production_settings(target: str) -> None:
    assert "DJANGO_SETTINGS_MODULE=kfplatform.settings.prod" in _make_command(target)


def test_the_unit_files_exist_where_the_readme_copies_them_from() -> None:
    names = sorted(p.name for p in Path(SYSTEMD).iterdir())
    assert names == [
        "kfplatform-beat.service",
        "kfplatform-web.service",
        "kfplatform-worker@.service",
        "kfplatform.target",
    ]
