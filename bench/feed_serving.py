"""Feed and recommendation APIs under gunicorn on loopback: closed loop (wrk) and open loop.

Usage (PostgreSQL + Redis, as in production; needs Debian's wrk):
    apt-get install -y wrk
    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE kf_bench_feed"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kf_bench_feed \\
    REDIS_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/feed_serving.py

Builds the database once (``seed_demo`` with 10,000 videos and 2,000
viewers, then ``rec_train``), logs in 200 viewers (each page served once to
warm the cache), starts gunicorn with ``deploy/gunicorn.conf.py`` and the
production settings, then measures two ways:

* Closed loop (wrk): N connections, each sends its next request as soon as
  the previous answer arrives. Gives the maximum throughput, and the ratio
  of each endpoint's throughput to the logged-in trivial endpoint's. Its
  latency is only queueing at saturation: concurrency / throughput.
* Open loop (asyncio, in this script): N keep-alive connections, each a
  different logged-in viewer, and requests scheduled at a fixed aggregate
  rate (request k at k / rate, on connection k mod N, as wrk2 does).
  Latency runs from the *scheduled* send time to the last byte of the
  answer, so a request that waits behind a slow one on its connection, or
  in the server's queue, counts its wait (no coordinated omission). This
  is the latency a population of N clients asking that often sees.

The trivial JSON endpoint is ``/api/v1/health`` (one ``SELECT 1``), asked
with the same viewers' session cookies, so both it and the feed pay for the
session and the user lookup. Never point DATABASE_URL or REDIS_URL at a
database you care about: the script migrates and seeds the one and clears
the other.
"""

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 8765
HOST = "127.0.0.1"
TRIVIAL = "/api/v1/health"
FEED = "/api/v1/recommendations/feed?limit=10"


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
        # the bench measures the cached path the acceptance is about.
        "RECOMMENDATIONS_PAGE_CACHE_SECONDS": "3600",
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
from django.core.cache import cache
cache.clear()  # the bench's own Redis database: the first pages below are really uncached
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


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


# --- closed loop: wrk ------------------------------------------------------


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
    """Serve every viewer's first page once, so the bench measures the cached path."""
    for key in keys:
        request = urllib.request.Request(
            f"http://{HOST}:{PORT}{FEED}", headers={"Cookie": f"sessionid={key}"}
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
        [*args, f"http://{HOST}:{PORT}{path}"], check=True, capture_output=True, text=True
    ).stdout
    figures = {"rps": float(_find(r"Requests/sec:\s+([\d.]+)", out)[0])}
    for pct in ("50", "90", "99"):
        value, unit = _find(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out)
        figures[f"p{pct}_ms"] = float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["errors"] = float(non_2xx.group(1)) if non_2xx else 0.0
    return figures


def closed_loop(
    endpoints: list[tuple[str, str, Path | None]], seconds: int, connections: int
) -> dict[str, dict[str, float]]:
    for _, path, lua in endpoints:  # warm caches and connections
        run_wrk(path, lua, 3, connections)
    before = load()
    results = {name: run_wrk(path, lua, seconds, connections) for name, path, lua in endpoints}
    base = results["trivial JSON, logged in"]["rps"]
    print(
        f"\nclosed loop (wrk), {connections} connections, {seconds} s per endpoint; "
        f"before: {before}; after: {load()}"
    )
    print(
        f"{'endpoint':36} {'req/s':>7} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
        f"{'vs trivial (logged in)':>22} {'non-2xx':>8}"
    )
    for name, fig in results.items():
        print(
            f"{name:36} {fig['rps']:7.0f} {fig['p50_ms']:8.1f} {fig['p90_ms']:8.1f} "
            f"{fig['p99_ms']:8.1f} {fig['rps'] / base:22.2f} {fig['errors']:8.0f}"
        )
    return results


# --- open loop: constant arrival rate, asyncio ----------------------------


class ResponseError(Exception):
    pass


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 response to its last byte: (status, server closes)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length, chunked, closes = 0, False, False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value
        elif name == b"connection":
            closes = value == b"close"
    if not chunked:
        await reader.readexactly(length)
        return status, closes
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await reader.readexactly(size + 2)
        if size == 0:
            return status, closes


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, scheduled → last byte
    non_2xx: int = 0
    failed: int = 0  # transport errors after one retry on a fresh connection
    unsent: int = 0  # still waiting to be sent when the run was cut off
    reconnects: int = 0


class Client:
    """One keep-alive connection carrying one viewer's cookie."""

    def __init__(self, path: str, cookie: str | None) -> None:
        header = f"Cookie: sessionid={cookie}\r\n" if cookie else ""
        self.request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{PORT}\r\n{header}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        await self.close()
        self.reader, self.writer = await asyncio.open_connection(HOST, PORT)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
            self.writer = None

    async def fetch(self, tally: Tally) -> int:
        """Send the request and read the answer, once more on a fresh connection if it drops."""
        for attempt in range(2):
            try:
                if self.writer is None:
                    await self.connect()
                assert self.reader is not None
                assert self.writer is not None
                self.writer.write(self.request)
                status, closes = await _read_response(self.reader)
                if closes:
                    await self.close()
                return status
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                await self.close()
                tally.reconnects += 1
                if attempt:
                    raise
        raise AssertionError("unreachable")


async def _drive(
    client: Client, times: list[float], start: float, stop: float, skip: float, tally: Tally
) -> None:
    loop = asyncio.get_running_loop()
    for i, at in enumerate(times):
        scheduled = start + at
        now = loop.time()
        if now > stop:  # overloaded: what is left is counted, not sent
            tally.unsent += len(times) - i
            return
        if scheduled > now:
            await asyncio.sleep(scheduled - now)
        try:
            status = await client.fetch(tally)
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            tally.failed += 1
            continue
        if at >= skip:  # the first seconds only warm connections and workers
            tally.latencies.append(loop.time() - scheduled)
            if not 200 <= status < 300:
                tally.non_2xx += 1


def schedule(rate: float, seconds: float, clients: int, poisson: bool) -> list[list[float]]:
    """Send times (s from start) per connection: request k at k / rate on connection k mod N."""
    rng = random.Random(42)
    times: list[list[float]] = [[] for _ in range(clients)]
    at, k = 0.0, 0
    while at < seconds:
        times[k % clients].append(at)
        at = at + rng.expovariate(rate) if poisson else (k + 1) / rate
        k += 1
    return times


async def _open_loop(
    path: str, cookies: list[str | None], rate: float, seconds: float, warmup: float, poisson: bool
) -> Tally:
    clients = [Client(path, cookie) for cookie in cookies]
    await asyncio.gather(*(c.connect() for c in clients))
    tally = Tally()
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.2
    stop = start + warmup + seconds + 10.0  # a grace period to drain the queue, then cut
    plan = schedule(rate, warmup + seconds, len(clients), poisson)
    await asyncio.gather(
        *(_drive(c, t, start, stop, warmup, tally) for c, t in zip(clients, plan, strict=True))
    )
    await asyncio.gather(*(c.close() for c in clients))
    return tally


def open_loop(
    path: str, cookies: list[str | None], rate: float, seconds: float, warmup: float, poisson: bool
) -> dict[str, float]:
    tally = asyncio.run(_open_loop(path, cookies, rate, seconds, warmup, poisson))
    ordered = sorted(tally.latencies)
    lost = tally.unsent + tally.failed  # never answered: slower than anything measured

    def pct(q: float) -> float:
        rank = math.ceil(q * (len(ordered) + lost)) - 1
        return 1000 * ordered[rank] if rank < len(ordered) else math.inf

    return {
        "rate": rate,
        "answered_rps": len(ordered) / seconds,
        "p50_ms": pct(0.50),
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": 1000 * ordered[-1] if ordered and not lost else math.inf,
        "errors": tally.non_2xx + tally.failed,
        "unsent": tally.unsent,
        "reconnects": tally.reconnects,
    }


def open_loop_sweep(
    endpoints: list[tuple[str, str]],
    keys: list[str],
    rates: list[float],
    clients: int,
    seconds: float,
    warmup: float,
    poisson: bool,
    target_ms: float,
) -> dict[float, dict[str, dict[str, float]]]:
    cookies: list[str | None] = [keys[i % len(keys)] for i in range(clients)]
    arrivals = "Poisson" if poisson else "evenly spaced"
    print(
        f"\nopen loop (asyncio), {clients} keep-alive connections, one logged-in viewer each; "
        f"{arrivals} arrivals; {seconds:g} s measured per rate after {warmup:g} s warm-up; "
        f"latency from the scheduled send"
    )
    print(
        f"{'rate/s':>7} {'endpoint':28} {'done/s':>7} {'p50 ms':>8} {'p90 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'errors':>6} {'p99 vs trivial':>14}  load"
    )
    results: dict[float, dict[str, dict[str, float]]] = {}
    for rate in rates:
        results[rate] = {}
        for name, path in endpoints:
            before = load().removeprefix("load average ")
            fig = open_loop(path, cookies, rate, seconds, warmup, poisson)
            results[rate][name] = fig
            base = results[rate][endpoints[0][0]]["p99_ms"]
            print(
                f"{rate:7.0f} {name:28} {fig['answered_rps']:7.0f} {fig['p50_ms']:8.1f} "
                f"{fig['p90_ms']:8.1f} {fig['p99_ms']:8.1f} {fig['max_ms']:8.1f} "
                f"{fig['errors'] + fig['unsent']:6.0f} {fig['p99_ms'] / base:14.2f}  {before}"
            )
            time.sleep(1)
    for name, _ in endpoints:
        held = [r for r in sorted(rates) if results[r][name]["p99_ms"] <= target_ms]
        steady = [r for i, r in enumerate(sorted(rates)) if sorted(rates)[: i + 1] == held[: i + 1]]
        print(
            f"p99 <= {target_ms:g} ms, {name}: up to "
            f"{f'{steady[-1]:.0f} req/s' if steady else 'none'} at every swept rate; "
            f"at {', '.join(f'{r:.0f}' for r in held) or 'no rate'} req/s"
        )
    return results


# --- the server ------------------------------------------------------------


def serve(env: dict[str, str], workers: int | None, threads: int | None) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
    args += ["-b", f"{HOST}:{PORT}", "--log-level", "warning", "kfplatform.wsgi"]
    if workers is not None:
        args += ["-w", str(workers)]
    if threads is not None:
        args += ["--threads", str(threads)]
    server = subprocess.Popen(args, cwd=ROOT, env=env)
    for _ in range(60):
        try:
            urllib.request.urlopen(f"http://{HOST}:{PORT}{TRIVIAL}", timeout=1)
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    sys.exit("gunicorn did not start")


def _rates(text: str) -> list[float]:
    return [float(r) for r in text.split(",") if r]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--videos", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--seconds", type=int, default=15, help="closed loop, per endpoint")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, help="default: deploy/gunicorn.conf.py")
    parser.add_argument("--threads", type=int, help="default: deploy/gunicorn.conf.py")
    parser.add_argument(
        "--viewers", type=int, default=200, help="logged-in viewers wrk rotates through"
    )
    parser.add_argument("--skip-prepare", action="store_true")
    parser.add_argument("--skip-closed", action="store_true", help="open loop only")
    parser.add_argument("--skip-open", action="store_true", help="closed loop only")
    parser.add_argument(
        "--rates", type=_rates, default=[50, 100, 150, 200, 250, 300], help="open loop, req/s"
    )
    parser.add_argument("--open-seconds", type=float, default=20, help="measured, per rate")
    parser.add_argument("--open-warmup", type=float, default=2)
    parser.add_argument("--poisson", action="store_true", help="random instead of even arrivals")
    parser.add_argument("--target-ms", type=float, default=30)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    env = django_env()
    if not args.skip_prepare:
        prepare(env, args.videos, args.users)
    script = Path(tempfile.mkdtemp()) / "viewers.lua"
    keys = session_keys(env, args.viewers)
    script.write_text(lua_script(keys))
    print(f"start: {load()}")
    server = serve(env, args.workers, args.threads)
    try:
        started = time.perf_counter()
        warm(keys)
        print(
            f"first (uncached) page for {len(keys)} viewers: "
            f"{1000 * (time.perf_counter() - started) / len(keys):.1f} ms each"
        )
        if not args.skip_closed:
            closed_loop(
                [
                    ("trivial JSON, anonymous", TRIVIAL, None),
                    ("trivial JSON, logged in", TRIVIAL, script),
                    ("recommendation feed (cached)", FEED, script),
                    (
                        "trending videos (cursor page)",
                        "/api/v1/videos?sort=trending&limit=10",
                        None,
                    ),
                    ("latest videos, logged in", "/api/v1/videos?limit=10", script),
                ],
                args.seconds,
                args.connections,
            )
        if not args.skip_open:
            open_loop_sweep(
                [("trivial JSON, logged in", TRIVIAL), ("recommendation feed (cached)", FEED)],
                keys,
                args.rates,
                args.connections,
                args.open_seconds,
                args.open_warmup,
                args.poisson,
                args.target_ms,
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(f"end: {load()}")


if __name__ == "__main__":
    main()
