"""Time the ALS member single-node (implicit) against Spark MLlib's ALS in local mode.

Issue 16, item 4: where does the single-node trainer run out of one machine, and what
does Spark cost on the same machine? For each size, each trainer fits in a fresh child
process (the production ALS settings: rank 64, 30 iterations, BM25 confidences), and
the child reports its wall time (Spark's includes the session start, which a retrain
pays too), the CPU seconds of its whole process tree, the peak resident memory of its whole process tree sampled every 0.2 s
(the Python driver plus Spark's JVM and Python workers), and the load average before
and after.

Sizes: ``movielens`` is the parity test's case: MovieLens-100K's positives, reference
protocol A's random split (seed 0, 43,929 training pairs of 943 x 1,682; read in place),
and the child also reports NDCG@10 on its test part (the engine's evaluation); a number is that many Zipf(0.8) draws over ``size / 10`` users and
``size / 100`` items (10 interactions a user, as in bench/rec_scale.py's reference
shape), repeated pairs collapsed.

    nice .venv/bin/python bench/spark_als.py [--sizes movielens 1000000 5000000]
        [--trainers implicit spark] [--master local[2]] [--iterations 30]
        [--driver-memory 2g] [--timeout 1800]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import scipy.sparse as sp

from recommendations.engine.datasets import default_data_dir, index_records, read_movielens
from recommendations.engine.evaluation import evaluate, split_random
from recommendations.engine.models import make_model
from recommendations.engine.synthetic import zipf_interactions
from recommendations.engine.types import EngineConfig, Split

MIB = 2**20


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["movielens", "1000000"])
    parser.add_argument("--trainers", nargs="+", default=["implicit", "spark"])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--iterations", type=int, default=EngineConfig().als_iterations)
    parser.add_argument("--driver-memory", default="2g")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per child run")
    parser.add_argument("--one", nargs=2, metavar=("SIZE", "TRAINER"), help=argparse.SUPPRESS)
    return parser.parse_args()


def interactions(size: str) -> tuple[sp.csr_matrix, Split | None]:
    """The training matrix for ``size`` and, for MovieLens, its split (module docstring)."""
    if size == "movielens":
        path = default_data_dir() / "movielens-100k" / "u.data"
        part = index_records(read_movielens(path)).parts[0]
        split = split_random(part.matrix, timestamps=part.timestamps, seed=0)
        return split.train, split
    draws = int(size)
    return zipf_interactions(max(draws // 10, 1), max(draws // 100, 1), draws, seed=0), None


class TreeMemory:
    """Peak resident memory and CPU seconds of this process and all its descendants.

    Sampled in a thread; the CPU figure is each process's user + system time as last
    seen (a process that ends between samples loses at most 0.2 s). On a machine
    shared with other work it says what the job cost where the wall time cannot.
    """

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peak_bytes = 0
        self.cpu_ticks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, ticks = tree_usage(os.getpid())
            self.peak_bytes = max(self.peak_bytes, rss)
            self.cpu_ticks.update(ticks)
            self._stop.wait(self.every)

    def cpu_seconds(self, before: dict[int, int]) -> float:
        """CPU seconds spent since ``before`` (a ``tree_usage`` tick map)."""
        spent = sum(ticks - before.get(pid, 0) for pid, ticks in self.cpu_ticks.items())
        return spent / os.sysconf("SC_CLK_TCK")


def tree_usage(root: int) -> tuple[int, dict[int, int]]:
    """Sum of VmRSS over ``root`` and its descendants, and each one's CPU ticks (/proc)."""
    parents: dict[int, int] = {}
    cpu: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            cpu[int(entry.name)] = int(fields[11]) + int(fields[12])  # utime + stime
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total, {pid: cpu[pid] for pid in tree if pid in cpu}


def run_one(size: str, trainer: str, args: argparse.Namespace) -> dict[str, Any]:
    """Fit the ALS member once in this process; return its figures."""
    X, split = interactions(size)
    config = dataclasses.replace(EngineConfig(), als_iterations=args.iterations)
    if trainer == "spark":
        config = dataclasses.replace(
            config,
            als_spark_master=args.master,
            als_spark_min_interactions=1,
            als_spark_driver_memory=args.driver_memory,
        )
    model = make_model("als", config, n_items=X.shape[1])
    load_before = os.getloadavg()[0]
    _, ticks_before = tree_usage(os.getpid())
    with TreeMemory() as memory:
        started = time.perf_counter()
        model.fit(X)
        seconds = time.perf_counter() - started
    ndcg = None if split is None else evaluate(model, split, k=10, fit=False).ndcg
    return {
        "size": size,
        "trainer": getattr(model, "trainer_", trainer),
        "users": X.shape[0],
        "items": X.shape[1],
        "interactions": int(X.nnz),
        "seconds": round(seconds, 1),
        "cpu_seconds": round(memory.cpu_seconds(ticks_before), 1),
        "peak_mib": round(memory.peak_bytes / MIB),
        "load_before": round(load_before, 1),
        "load_after": round(os.getloadavg()[0], 1),
        "ndcg": None if ndcg is None else round(ndcg, 4),
    }


def main() -> None:
    """Run every size x trainer in its own child process and print a table."""
    args = parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], args.one[1], args)), flush=True)
        return
    print(
        "| size | trainer | users × items | interactions | fit s (wall) | CPU s "
        "| peak MiB | load | NDCG@10 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        for trainer in args.trainers:
            command = [
                sys.executable,
                __file__,
                "--one",
                size,
                trainer,
                "--master",
                args.master,
                "--iterations",
                str(args.iterations),
                "--driver-memory",
                args.driver_memory,
            ]
            try:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=args.timeout, check=False
                )
            except subprocess.TimeoutExpired:
                print(f"| {size} | {trainer} | | | > {args.timeout} (stopped) | | |", flush=True)
                continue
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode or not lines:
                tail = done.stderr.strip().splitlines()[-3:]
                print(f"| {size} | {trainer} | failed: {' / '.join(tail)} |", flush=True)
                continue
            row = json.loads(lines[-1])
            print(
                f"| {row['size']} | {row['trainer']} | {row['users']:,} × {row['items']:,} "
                f"| {row['interactions']:,} | {row['seconds']:,.1f} | {row['cpu_seconds']:,.1f} "
                f"| {row['peak_mib']:,} "
                f"| {row['load_before']} → {row['load_after']} | {row['ndcg'] or '-'} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
