"""Real servers on loopback ports for the deploy tests: nginx from deploy/nginx.conf,
a TLS certificate, a private redis-server, a RabbitMQ virtual host, processes
started and stopped as whole process groups."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ops.nginx_conf import NginxValues, nginx_conf_render
from tests.conftest import require

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, and its key (what staging would use)."""
    openssl = shutil.which("openssl")
    require(openssl is not None, "openssl is not installed")
    certificate, key = folder / "tls.crt", folder / "tls.key"
    subprocess.run(
        [
            str(openssl), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(certificate),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return certificate, key


def tls_context(certificate: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate))


def nginx_values(
    folder: Path,
    *,
    upstream: str,
    static_root: Path,
    media_root: Path,
    certificate: Path,
    key: Path,
) -> tuple[NginxValues, int, int]:
    """Values for a private nginx under ``folder``; returns them and (https, http) ports."""
    https_port, http_port = free_port(), free_port()
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    values = NginxValues(
        upstream=upstream,
        server_name="127.0.0.1 localhost",
        http_listen=f"127.0.0.1:{http_port}",
        https_listen=f"127.0.0.1:{https_port}",
        tls_certificate=str(certificate),
        tls_certificate_key=str(key),
        static_root=str(static_root.resolve()),
        media_root=str(media_root.resolve()),
        accel_prefix="/protected/",
        # As root, nginx's workers would run as nobody and not read the test's files.
        user="root root" if os.geteuid() == 0 else "",
        pid=str(folder / "nginx.pid"),
        error_log=str(folder / "error.log"),
        access_log="off",
        temp=str(folder / "tmp"),
    )
    return values, https_port, http_port


@contextmanager
def nginx_running(conf: Path, port: int) -> Iterator[None]:
    """nginx in the foreground on a rendered file; stopped (and checked) afterwards."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    require(os.path.exists(binary), "nginx is not installed (apt-get install nginx)")
    check = subprocess.run(
        [binary, "-e", "stderr", "-t", "-c", str(conf), "-g", "daemon off;"],
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([binary, "-e", "stderr", "-c", str(conf), "-g", "daemon off;"])
    try:
        assert wait_for_port(port), "nginx did not start"
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def write_nginx_conf(values: NginxValues, folder: Path) -> Path:
    conf = folder / "nginx.conf"
    conf.write_text(nginx_conf_render(values))
    return conf


class Processes:
    """Long-running commands, each in its own process group, stopped as a group."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running[name] = proc
        return proc

    def kill(self, name: str) -> None:
        """``kill -9`` of the whole process group: the main process and its children."""
        proc = self.running.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self, name: str, timeout: float = 30.0) -> None:
        self._stop([name], timeout)

    def stop_all(self) -> None:
        """All at once: each Celery worker's warm shutdown takes seconds, and they overlap."""
        self._stop(list(self.running), timeout=30.0)

    def _stop(self, names: list[str], timeout: float) -> None:
        stopping = [proc for name in names if (proc := self.running.pop(name, None)) is not None]
        for proc in stopping:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in stopping:
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server is not installed")
    server = RedisServer(str(binary), free_port(), folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class RedisServer:
    """A redis-server of the test's own, on a free port, keeping nothing on disk."""

    def __init__(self, binary: str, port: int, folder: Path) -> None:
        self.binary, self.port, self.folder = binary, port, folder
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        argv = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", str(self.folder)]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        assert wait_for_port(self.port), "redis-server did not start"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


AMQP = os.environ.get("KF_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672")


@contextmanager
def rabbitmq_vhost() -> Iterator[str]:
    """A RabbitMQ virtual host of the test's own; yields its broker URL."""
    ctl = shutil.which("rabbitmqctl")
    require(ctl is not None and wait_for_port(5672, timeout=2), "RabbitMQ is not running")
    vhost = f"kf-test-{uuid.uuid4().hex[:10]}"
    subprocess.run([str(ctl), "add_vhost", vhost], check=True, capture_output=True)
    subprocess.run(
        [str(ctl), "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"{AMQP.rstrip('/')}/{vhost}"
    finally:
        subprocess.run([str(ctl), "delete_vhost", vhost], check=False, capture_output=True)
