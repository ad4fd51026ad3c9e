"""Time a full retrain plus top-100 precompute on synthetic Zipf data, up to a million items.

Reference section 3: 1,000,000 interactions, 100,000 users x 10,000 items,
Zipf(0.8) item popularity, taken up in sessions (``session_times``: about a
minute apart, a day between sessions) for the session model. Budget: <= 90 s
and <= 4 GiB peak RSS on 2 cores.

Issue 16 (catalogue scale): ``--users 1000000 --items 1000000
--interactions 20000000 --active 200000``: full retrain, index build and
top-100 for the 200,000 viewers active last week <= 30 minutes and <= 8 GiB;
any other viewer's feed through the index with p99 <= 50 ms; recall@100 of
the ANN retrieval >= 0.95 of exact retrieval on the same factors. At
100,000 items x 100,000 users x 1,000,000 interactions the whole retrain
<= 90 s.

Each stage prints its wall time and the peak RSS so far. From
``--candidates-above`` items on (default 50,000) feeds come from retrieved
candidates (``engine.retrieval``) instead of full score rows; below, the
full blockwise top-N runs, as in production today.

``--sequence W`` adds the SASRec member at blend weight ``W`` (issue 15's
budget for that retrain: <= 10 minutes and <= 4 GiB on 2 cores).
``--sequence-epochs`` forces a fixed number of epochs (patience off).

    .venv/bin/python bench/rec_scale.py [--users 100000] [--items 10000]
        [--interactions 1000000] [--active N] [--k 100] [--candidates-above N]
        [--dense-budget-mib N] [--sequence 0.25] [--sequence-epochs N]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommendations.engine.models import production_model
from recommendations.engine.ranking import recommend
from recommendations.engine.retrieval import (
    CandidateRanker,
    build_index,
    exact_search,
    recall,
)
from recommendations.engine.synthetic import session_times, zipf_interactions
from recommendations.engine.types import EngineConfig


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--active", type=int, default=0, help="users precomputed (0: all)")
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--candidates-above", type=int, default=50_000)
    parser.add_argument("--n-candidates", type=int, default=300)
    parser.add_argument("--requests", type=int, default=1000, help="on-request feeds timed")
    parser.add_argument(
        "--dense-budget-mib", type=int, default=EngineConfig().dense_memory_budget_mib
    )
    parser.add_argument("--sequence", type=float, default=0.0, help="sequence member weight")
    parser.add_argument(
        "--sequence-epochs", type=int, default=0, help="run exactly N epochs (0: early stopping)"
    )
    return parser.parse_args()


def peak_mib() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def stage(name: str, seconds: float) -> None:
    """Print one stage's wall time, the peak RSS so far and the load."""
    print(
        f"{name:<22} {seconds:8.1f} s   peak {peak_mib():7.0f} MiB   load {os.getloadavg()[0]:.2f}"
    )


def timed(name: str, fit: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a member's ``fit`` to report its own stage."""

    def run(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = fit(*args, **kwargs)
        stage(f"fit {name}", time.perf_counter() - started)
        return result

    return run


def build_model(args: argparse.Namespace) -> Any:
    """The production hybrid at the bench's settings; prints its members and notes."""
    config = dataclasses.replace(
        EngineConfig(),
        dense_memory_budget_mib=args.dense_budget_mib,
        hybrid_weights={**EngineConfig().hybrid_weights, "sequence": args.sequence},
    )
    if args.sequence_epochs:
        config = dataclasses.replace(
            config,
            sequence_max_epochs=args.sequence_epochs,
            sequence_patience=args.sequence_epochs,
            sequence_position_budget=args.sequence_epochs * args.interactions,
        )
    model = production_model(config, n_items=args.items)
    members = ", ".join(member.name for member, _ in model.members)
    similar_only = [
        m.name for m, _ in model.neighbours if all(m is not n for n, _ in model.members)
    ]
    if similar_only:
        members += f" (+ {', '.join(similar_only)} for similar items)"
    print(f"model       hybrid of {members}")
    for note in model.notes:
        print(f"note        {note}")
    return model


def measure_index(args: argparse.Namespace, ranker: CandidateRanker, X: Any, n_active: int) -> None:
    """ANN recall@k against exact search, and feeds on request for viewers outside the precompute."""
    als, index = ranker.als, ranker.index
    assert als is not None
    assert index is not None
    sample = np.random.default_rng(1).choice(args.users, size=min(1000, args.users), replace=False)
    queries = als.user_factors_[sample]
    t = time.perf_counter()
    approx = index.search(queries, args.k)
    search_ms = (time.perf_counter() - t) * 1000 / sample.size
    truth = exact_search(als.item_factors_, queries, args.k)
    print(f"ANN recall@{args.k}  {recall(approx, truth):.4f} vs exact, {search_ms:.2f} ms/query")
    others = np.arange(n_active, args.users)
    if others.size:
        chosen = np.random.default_rng(2).choice(
            others, size=min(args.requests, others.size), replace=False
        )
        latencies = []
        for user in chosen:
            t = time.perf_counter()
            ranker.recommend(X, np.array([user]), args.k)
            latencies.append((time.perf_counter() - t) * 1000)
        p50, p99 = np.percentile(latencies, [50, 99])
        print(
            f"on request  p50 {p50:.1f} ms, p99 {p99:.1f} ms over {len(latencies):,} "
            f"viewers outside the precompute (load {os.getloadavg()[0]:.2f})"
        )


def main() -> None:
    """Generate data, fit the production model, index, precompute, time on-request feeds."""
    args = parse_args()
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    X = zipf_interactions(args.users, args.items, args.interactions, exponent=0.8, seed=0)
    times = session_times(X, seed=0)
    stage("generate data", time.perf_counter() - started)
    print(f"data        {args.users:,} users x {args.items:,} items, {X.nnz:,} nnz")
    model = build_model(args)
    fitted_models = {id(m): m for m, _ in [*model.members, *model.neighbours]}
    for member in fitted_models.values():
        member.fit = timed(member.name, member.fit)
    retrain_started = time.perf_counter()
    model.fit(X, times)
    stage("fit (all)", time.perf_counter() - retrain_started)
    active = np.arange(args.active or args.users)
    use_index = args.items >= args.candidates_above
    index = None
    if use_index:
        t = time.perf_counter()
        index = build_index(model, num_threads=EngineConfig().num_threads)
        stage(f"index ({'exact' if index and index.exact else 'HNSW'})", time.perf_counter() - t)
    t = time.perf_counter()
    ranker = None
    if use_index:
        ranker = CandidateRanker(model, index, n_candidates=args.n_candidates)
        top = ranker.recommend(X, active, args.k)
    else:
        top = recommend(model, X, active, args.k)
    stage(f"top-{args.k} x {active.size:,}", time.perf_counter() - t)
    retrain = time.perf_counter() - retrain_started
    print(f"retrain     {retrain:8.1f} s  (fit + index + precompute)")
    if top.indices.shape[0] and (top.indices[:, 0] < 0).any():
        print(f"warning     {(top.indices[:, 0] < 0).sum():,} users got an empty list")
    if ranker is not None:
        measure_index(args, ranker, X, active.size)
    for member, _ in model.members:
        log = getattr(member, "log_", None)
        if log is not None:
            print(f"sequence    {log.seconds:6.1f} s fit: {log.status}")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"CPU time    {usage.ru_utime + usage.ru_stime:8.1f} s  (whole process)")
    print(f"peak RSS    {peak_mib():8.0f} MiB")
    print(f"load avg    {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (1-minute)")


if __name__ == "__main__":
    main()
