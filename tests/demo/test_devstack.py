"""``make run``'s stack as a process test: a purchase reaches /dashboard/ with no command.

The stack is started the way ``make run`` starts it (``manage.py devstack``:
runserver plus a Celery worker with beat on the filesystem broker) on a
scratch SQLite file under a temporary folder and a free port. Beat's
rollup of today runs every few seconds here (``KF_DEV_ROLLUP_SECONDS``);
under ``make run`` it is every two minutes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.conftest import wait_until
from tests.deploy.servers import REPO, free_port, wait_for_port

pytestmark = pytest.mark.xdist_group("devstack")

PASSWORD = "pass-word-123"
# What the test process's own environment must not lend the dev stack.
FOREIGN_PREFIXES = ("DJANGO_", "PYTEST_", "KF_", "CELERY_", "REDIS_", "COMMERCE_", "DATABASE_")

SETUP = f"""
from django.contrib.auth.models import Permission
from django.utils import timezone
from accounts.models import User
from courses.models import Category, Course
creator = User.objects.create_user("creator", "c@example.com", "{PASSWORD}")
staff = User.objects.create_user("staff", "s@example.com", "{PASSWORD}", is_staff=True)
staff.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
User.objects.create_user("buyer", "b@example.com", "{PASSWORD}")
category = Category.objects.create(slug="dev", name="Dev")
Course.objects.create(
    creator=creator, title="Dev course", slug="dev-course", category=category,
    price_minor=4900, status="published", published_at=timezone.now(),
)
"""


@dataclass
class Stack:
    base: str
    process: subprocess.Popen[str]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def child_pids(self) -> list[int]:
        found = re.search(r"web pid (\d+), worker\+beat pid (\d+)", self.output())
        assert found, self.output()
        return [int(found.group(1)), int(found.group(2))]


def _environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
    return env | {
        "DJANGO_SETTINGS_MODULE": "kfplatform.settings.dev",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(folder / "media"),
        "KF_DEV_BROKER_DIR": str(folder / "broker"),
        "KF_DEV_ROLLUP_SECONDS": "3",
    }


def _manage(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
        timeout=300,
    )


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    env = _environment(tmp_path)
    _manage(env, "migrate", "--no-input")
    _manage(env, "shell", stdin=SETUP)
    port = free_port()
    log = tmp_path / "devstack.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "devstack", f"127.0.0.1:{port}", "--noreload"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    stack = Stack(f"http://127.0.0.1:{port}", process, log)
    try:
        assert wait_for_port(port, timeout=60), stack.output()
        yield stack
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    url = f"{base}/accounts/login/"
    page = session.get(url, timeout=30)
    form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(page.text)}
    answer = session.post(url, data=form, headers={"Referer": url}, timeout=30)
    assert answer.ok, answer.text[:500]
    assert "sessionid" in session.cookies, answer.text[:500]
    return session


def _today_purchases(session: requests.Session, base: str) -> int:
    page = session.get(f"{base}/dashboard/", timeout=30)
    assert page.status_code == 200, page.text[:500]
    found = re.search(r'id="today-purchases">(\d+)<', page.text)
    assert found, page.text[:2000]
    return int(found.group(1))


def _buy(base: str) -> None:
    """What the buyer's browser does: the buy box, then Pay on the sandbox's page."""
    buyer = _login(base, "buyer")
    course = buyer.get(f"{base}/c/dev-course/", timeout=30)
    checkout = buyer.post(
        f"{base}/shop/buy/1/",
        data={"csrfmiddlewaretoken": _csrf(course.text)},
        headers={"Referer": course.url},
        timeout=30,
    )
    assert "/sandbox/checkout/" in checkout.url, checkout.text[:500]
    receipt = buyer.post(
        checkout.url,
        data={"csrfmiddlewaretoken": _csrf(checkout.text), "action": "pay"},
        headers={"Referer": checkout.url},
        timeout=30,
    )
    assert 'class="status status-paid"' in receipt.text, receipt.text[:2000]


def test_a_purchase_reaches_the_dashboard_and_ctrl_c_stops_everything(stack: Stack) -> None:
    staff = _login(stack.base, "staff")
    before = _today_purchases(staff, stack.base)

    _buy(stack.base)

    # Nothing but the stack's own beat and worker rolls the purchase up.
    assert wait_until(lambda: _today_purchases(staff, stack.base) == before + 1, timeout=90), (
        stack.output()[-4000:]
    )
    assert "analytics.tasks.rollups_refresh_recent_task" in stack.output()

    children = stack.child_pids()
    assert all(_group_alive(pid) for pid in children)
    stack.process.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal sends
    assert stack.process.wait(timeout=60) == 0
    # The server, the worker, its pool and its beat: nothing outlives the command.
    assert not any(_group_alive(pid) for pid in children), stack.output()[-4000:]
