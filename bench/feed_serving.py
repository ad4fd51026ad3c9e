"""Feed and recommendation APIs under gunicorn on loopback, measured with wrk.

Usage (PostgreSQL + Redis, as in production; needs Debian's wrk):
    apt-get install -y wrk
    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE kf_bench_feed"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kf_bench_feed \\
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/feed_serving.py

Builds the database once (``seed_demo`` with 10,000 videos and 2,000
viewers, then ``rec_train``), logs in 200 viewers (each page served once to warm the cache), starts gunicorn with the
production settings and drives each endpoint with wrk: closed loop at 50
connections (throughput and latency percentiles). The trivial JSON endpoint
is ``/api/v1/health`` (one ``SELECT 1``), asked both anonymously and with
the same viewers' session cookies; the ratio compares each endpoint's
throughput to the logged-in trivial endpoint in the same run, since both
then pay for the session and the user lookup. Never point DATABASE_URL at a database
you care about: the script migrates and seeds it.
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765


def django_env() -> dict[str, str]:
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            sys.exit(f"{name} must be set (see the docstring).")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kfplatform.settings.prod",
        "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_MEDIA_ROOT": str(ROOT / "var" / "bench" / "media"),
        # Pages stay cached for the whole run (warm-up to last request), so
        # wrk measures the cached path the acceptance is about.
        "RECOMMENDATIONS_PAGE_CACHE_SECONDS": "900",
    }


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def prepare(env: dict[str, str], videos: int, users: int) -> None:
    manage(env, "migrate", "--no-input")
    print(
        manage(
            env,
            "seed_demo",
            "--videos",
            str(videos),
            "--users",
            str(users),
            "--courses",
            "40",
            "--events",
            str(users * 40),
        )
    )
    print(manage(env, "rec_train"))
    print(
        manage(
            env,
            "shell",
            "-c",
            "from django.db import connection; connection.cursor().execute('ANALYZE')",
        )
    )


SESSIONS = """
import django; django.setup()
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.cached_db import SessionStore
from recommendations.models import UserRecommendation
from accounts.models import User
ids = list(UserRecommendation.objects.filter(version__status="active").values_list("user_id", flat=True)[:{n}])
for user in User.objects.filter(pk__in=ids):
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    print(s.session_key)
"""


def session_keys(env: dict[str, str], n: int) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", SESSIONS.replace("{n}", str(n))],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.split()


def lua_script(keys: list[str]) -> str:
    """wrk script: every request carries a random viewer's session cookie."""
    cookies = ",".join(f'"{k}"' for k in keys)
    return f"""
local keys = {{{cookies}}}
math.randomseed(42)
request = function()
  local key = keys[math.random(#keys)]
  return wrk.format("GET", nil, {{["Cookie"] = "sessionid=" .. key}})
end
"""


def warm(keys: list[str]) -> None:
    """Serve every viewer's first page once, so wrk measures the cached path."""
    for key in keys:
        request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}/api/v1/recommendations/feed?limit=10",
            headers={"Cookie": f"sessionid={key}"},
        )
        urllib.request.urlopen(request, timeout=30).read()


def _find(pattern: str, text: str) -> tuple[str, ...]:
    match = re.search(pattern, text)
    if match is None:
        sys.exit(f"wrk output without {pattern!r}:\n{text}")
    return match.groups()


def run_wrk(path: str, script: Path | None, seconds: int, connections: int) -> dict[str, float]:
    args = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    if script is not None:
        args += ["-s", str(script)]
    out = subprocess.run(
        [*args, f"http://127.0.0.1:{PORT}{path}"], check=True, capture_output=True, text=True
    ).stdout
    figures = {"rps": float(_find(r"Requests/sec:\s+([\d.]+)", out)[0])}
    for pct in ("50", "90", "99"):
        value, unit = _find(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out)
        figures[f"p{pct}_ms"] = float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["errors"] = float(non_2xx.group(1)) if non_2xx else 0.0
    return figures


def serve(env: dict[str, str], workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kfplatform.wsgi",
            "-b",
            f"127.0.0.1:{PORT}",
            "-w",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(60):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/health", timeout=1)
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    sys.exit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--videos", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--viewers", type=int, default=200, help="logged-in viewers wrk rotates through"
    )
    parser.add_argument("--skip-prepare", action="store_true")
    args = parser.parse_args()
    env = django_env()
    if not args.skip_prepare:
        prepare(env, args.videos, args.users)
    script = Path(tempfile.mkdtemp()) / "viewers.lua"
    keys = session_keys(env, args.viewers)
    script.write_text(lua_script(keys))
    server = serve(env, args.workers)
    try:
        started = time.perf_counter()
        warm(keys)
        print(
            f"first (uncached) page for {len(keys)} viewers: {1000 * (time.perf_counter() - started) / len(keys):.1f} ms each"
        )
        endpoints = [
            ("trivial JSON, anonymous", "/api/v1/health", None),
            ("trivial JSON, logged in", "/api/v1/health", script),
            ("recommendation feed (cached)", "/api/v1/recommendations/feed?limit=10", script),
            ("trending videos (cursor page)", "/api/v1/videos?sort=trending&limit=10", None),
            ("latest videos, logged in", "/api/v1/videos?limit=10", script),
        ]
        for _, path, lua in endpoints:  # warm caches and connections
            run_wrk(path, lua, 3, args.connections)
        results = {
            name: run_wrk(path, lua, args.seconds, args.connections)
            for name, path, lua in endpoints
        }
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    base = results["trivial JSON, logged in"]["rps"]
    print(
        f"\n{args.connections} connections, {args.seconds}s each, gunicorn {args.workers} workers x 4 threads, 2 cores shared with wrk"
    )
    print(
        f"{'endpoint':36} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'vs trivial (logged in)':>22} {'non-2xx':>8}"
    )
    for name, fig in results.items():
        print(
            f"{name:36} {fig['rps']:8.0f} {fig['p50_ms']:8.1f} {fig['p90_ms']:8.1f} {fig['p99_ms']:8.1f} {fig['rps'] / base:22.2f} {fig['errors']:8.0f}"
        )


if __name__ == "__main__":
    main()
