"""The production path, run from this checkout exactly as README "Production" says.

A fresh PostgreSQL database, a redis-server and a RabbitMQ virtual host of
its own, a self-signed certificate; then the operator's make targets:
prod-check, prod-migrate, prod-static, prod-nginx-conf, prod-web, one
prod-worker-<queue> per queue and prod-beat, all under
kfplatform.settings.prod, with nginx in front on loopback ports.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests

from tests.conftest import require, wait_until

from .servers import (
    REPO,
    Processes,
    RedisServer,
    free_port,
    nginx_running,
    rabbitmq_vhost,
    redis_server,
    self_signed_certificate,
    wait_for_port,
)

QUEUES = ("default", "media", "ml", "analytics")
SERVICES = ("web", *(f"worker-{q}" for q in QUEUES), "beat")
# What the test process's own environment must not lend the stack.
FOREIGN_PREFIXES = (
    "DJANGO_", "PYTEST_", "KF_", "CELERY_", "REDIS_", "COMMERCE_", "GUNICORN_", "RECOMMENDATIONS_",
)  # fmt: skip


def _admin_url(database_url: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path="/postgres"))


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on DATABASE_URL's server; dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    require(url.startswith("postgres"), "DATABASE_URL is not PostgreSQL")
    name = f"{urlsplit(url).path.strip('/') or 'kf'}_prod_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_url(url), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(_admin_url(url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Stack:
    def __init__(
        self, folder: Path, database_url: str, redis: RedisServer, broker_url: str
    ) -> None:
        self.folder, self.database_url, self.redis = folder, database_url, redis
        self.https_port, self.http_port, self.web_port = free_port(), free_port(), free_port()
        self.certificate, key = self_signed_certificate(folder)
        self.metrics_token = secrets.token_urlsafe(32)
        self.procs = Processes(folder)
        self.data: dict[str, Any] = {}
        clean = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
        self.env = {
            **clean,
            "DATABASE_URL": database_url,
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_CSRF_TRUSTED_ORIGINS": self.base,
            "DJANGO_MEDIA_ROOT": str(folder / "media"),
            "DJANGO_STATIC_ROOT": str(folder / "static"),
            "REDIS_URL": redis.url(0),
            "REDIS_SESSIONS_URL": redis.url(1),
            "CELERY_BROKER_URL": broker_url,
            "COURSES_MEDIA_ACCEL_PREFIX": "/protected/",
            "KF_METRICS_TOKEN": self.metrics_token,
            "KF_NUM_PROXIES": "1",
            "EMAIL_URL": f"smtp://127.0.0.1:{free_port()}",
            # A staging site: the sandbox gateway, enabled on purpose, with its own secret.
            "COMMERCE_GATEWAY": "sandbox",
            "COMMERCE_SANDBOX_ENABLED": "true",
            "COMMERCE_SANDBOX_WEBHOOK_SECRET": secrets.token_urlsafe(32),
            "GUNICORN_BIND": f"127.0.0.1:{self.web_port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_CONTROL_SOCKET": str(folder / "gunicorn.ctl"),
            "KF_WORKER_CONCURRENCY": "1",
            # Heartbeats every 5 s, not 30: the beat takeover test waits for the next one.
            "KF_WORKER_HEARTBEAT_SECONDS": "5",
            # Staging promotes every model it trains, so a retrain's outcome is visible.
            "RECOMMENDATIONS_PROMOTION_TOLERANCE": "1",
            "KF_METRICS_DIR": str(folder / "metrics"),
            "KF_NGINX_CONF": str(folder / "nginx" / "nginx.conf"),
            "KF_NGINX_RUN_DIR": str(folder / "nginx"),
            "KF_NGINX_HTTPS_LISTEN": f"127.0.0.1:{self.https_port}",
            "KF_NGINX_HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
            "KF_NGINX_USER": "root root" if os.geteuid() == 0 else "",
            "KF_TLS_CERTIFICATE": str(self.certificate),
            "KF_TLS_CERTIFICATE_KEY": str(key),
            # The worker posts sandbox webhooks to https://127.0.0.1:<port>/: trust our certificate.
            "SSL_CERT_FILE": str(self.certificate),
        }

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def web(self) -> str:
        """gunicorn itself, where Prometheus and probes talk to it."""
        return f"http://127.0.0.1:{self.web_port}"

    # --- operator steps ----------------------------------------------------

    def make(self, target: str, timeout: float = 600) -> str:
        result = subprocess.run(
            ["make", "--no-print-directory", target],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"make {target}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def start(self, service: str) -> None:
        self.procs.start(service, ["make", "--no-print-directory", f"prod-{service}"], self.env)

    def kill(self, service: str) -> None:
        self.procs.kill(service)

    def prod_python(self, *argv: str, timeout: float = 300) -> str:
        env = {**self.env, "DJANGO_SETTINGS_MODULE": "kfplatform.settings.prod"}
        result = subprocess.run(
            [sys.executable, *argv], cwd=REPO, env=env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout

    def celery_call(self, task: str, **kwargs: Any) -> None:
        """Send a task by name, as an operator would from a shell (`celery call`)."""
        self.prod_python(
            "-m", "celery", "-A", "kfplatform", "call", task, "--kwargs", json.dumps(kwargs)
        )

    # --- looking at it --------------------------------------------------------

    def sql(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return list(conn.execute(query, params).fetchall())

    def client(self) -> Browser:
        return Browser(self)

    def readiness(self) -> dict[str, Any]:
        response = requests.get(f"{self.base}/readyz", verify=str(self.certificate), timeout=20)
        return dict(response.json())

    def wait_serving(self, timeout: float = 120) -> bool:
        """True once nginx and gunicorn answer /healthz."""

        def serving() -> bool:
            try:
                url = f"{self.base}/healthz"
                return requests.get(url, verify=str(self.certificate), timeout=10).ok
            except requests.RequestException:
                return False

        return wait_until(serving, timeout=timeout)

    def wait_ready(self, timeout: float = 240) -> dict[str, Any]:
        last: dict[str, Any] = {}

        def ready() -> bool:
            nonlocal last
            try:
                last = self.readiness()
            except (requests.RequestException, ValueError):
                return False
            return last.get("status") == "ok"

        assert wait_until(ready, timeout=timeout), json.dumps(last, indent=1)
        return last

    def metrics(self) -> str:
        response = requests.get(
            f"{self.web}/metrics",
            headers={"Authorization": f"Bearer {self.metrics_token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.text

    def pids(self, service: str) -> set[int]:
        """The service's process and every descendant (gunicorn master and workers)."""
        found, todo = set(), [self.procs.running[service].pid]
        while todo:
            pid = todo.pop()
            found.add(pid)
            for children in Path(f"/proc/{pid}/task").glob("*/children"):
                todo += [int(c) for c in children.read_text().split()]
        return found


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """What a browser does over https: cookies, CSRF tokens, Origin and Referer."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would replace our certificate
        self.http.verify = str(stack.certificate)
        self.statuses: list[tuple[str, int]] = []

    def _record(self, method: str, path: str, response: requests.Response) -> requests.Response:
        self.statuses.append((f"{method} {path}", response.status_code))
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        response = self.http.get(self.stack.base + path, timeout=60, **kwargs)
        return self._record("GET", path, response)

    def csrf_cookie(self) -> str:
        return next(v for k, v in self.http.cookies.items() if k.endswith("csrftoken") and v)

    def post_form(
        self, path: str, data: dict[str, str], page: str | None = None
    ) -> requests.Response:
        """Fill the form on ``page`` (default: ``path``) and post it, as a browser would."""
        form_page = self.get(page or path)
        token = CSRF_INPUT.search(form_page.text)
        assert token, f"no CSRF token on {page or path}"
        headers = {"Origin": self.stack.base, "Referer": self.stack.base + (page or path)}
        response = self.http.post(
            self.stack.base + path,
            data={"csrfmiddlewaretoken": html.unescape(token.group(1)), **data},
            headers=headers,
            allow_redirects=False,
            timeout=60,
        )
        return self._record("POST", path, response)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {
            "X-CSRFToken": self.csrf_cookie(),
            "Origin": self.stack.base,
            "Referer": self.stack.base + "/",
            **kwargs.pop("headers", {}),
        }
        response = self.http.request(
            method, self.stack.base + path, headers=headers, timeout=60, **kwargs
        )
        return self._record(method, path, response)

    def upload(self, data: bytes, *, purpose: str, filename: str, chunk: int) -> int:
        """The resumable upload protocol, as the studio page drives it; returns the asset id."""
        opened = self.api(
            "POST",
            "/api/v1/studio/uploads",
            json={"purpose": purpose, "filename": filename, "size_bytes": len(data)},
        )
        assert opened.status_code == 201, opened.text
        url = opened.json()["upload_url"]
        response = opened
        for start in range(0, len(data), chunk):
            part = data[start : start + chunk]
            response = self.api(
                "PUT",
                url,
                data=part,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"bytes {start}-{start + len(part) - 1}/{len(data)}",
                },
            )
            assert response.status_code in (200, 201), response.text
        assert response.status_code == 201, response.text
        return int(response.json()["asset"]["id"])

    def login(self, username: str, password: str) -> None:
        response = self.post_form("/accounts/login/", {"username": username, "password": password})
        assert response.status_code == 302, f"login {username}: {response.status_code}"

    def buy(self, course_id: int) -> str:
        """Order a course and pay on the sandbox page; returns the order number."""
        created = self.api(
            "POST",
            "/api/v1/orders",
            json={"course_id": course_id},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert created.status_code == 201, created.text
        body = created.json()
        checkout = urlsplit(body["checkout_url"]).path
        paid = self.post_form(checkout, {"action": "pay"})
        assert paid.status_code == 302, paid.status_code
        returned = self.get(
            urlsplit(paid.headers["Location"]).path + "?" + urlsplit(paid.headers["Location"]).query
        )
        assert returned.status_code == 200, returned.status_code
        return str(body["order"]["number"])


@contextmanager
def production_stack(folder: Path) -> Iterator[Stack]:
    """Everything up, README order; everything started is stopped afterwards."""
    with ExitStack() as exits:
        database = exits.enter_context(fresh_database())
        (folder / "redis").mkdir()
        redis = exits.enter_context(redis_server(folder / "redis"))
        broker = exits.enter_context(rabbitmq_vhost())
        stack = Stack(folder, database, redis, broker)
        exits.callback(stack.procs.stop_all)
        for step in ("prod-check", "prod-migrate", "prod-static", "prod-nginx-conf"):
            began = time.monotonic()
            stack.make(step)
            stack.data[f"{step}_seconds"] = round(time.monotonic() - began, 1)
        exits.enter_context(nginx_running(Path(stack.env["KF_NGINX_CONF"]), stack.https_port))
        began = time.monotonic()
        arranged = stack.prod_python("tests/deploy/arrange.py").strip().splitlines()[-1]
        stack.data |= json.loads(arranged)
        stack.data["arrange_seconds"] = round(time.monotonic() - began, 1)
        began = time.monotonic()
        for service in SERVICES:
            stack.start(service)
        assert wait_for_port(stack.web_port, timeout=120), stack.procs.log("web")
        assert stack.wait_serving(), stack.procs.log("web")[-3000:]
        stack.data["start_seconds"] = round(time.monotonic() - began, 1)
        yield stack
