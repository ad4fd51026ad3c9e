"""Time a full retrain plus top-100 precompute on synthetic Zipf data.

Reference section 3: 1,000,000 interactions, 100,000 users x 10,000 items,
Zipf(0.8) item popularity, taken up in sessions (``session_times``: about a
minute apart, a day between sessions) for the session model. Budget: <= 90 s and <= 4 GiB peak RSS on 2 cores.

``--sequence W`` adds the SASRec member at blend weight ``W`` (issue 15's
budget for that retrain: <= 10 minutes and <= 4 GiB on 2 cores). The
synthetic order is random within a session, so the sequence model has
little to learn here and early stopping ends it soon; ``--sequence-epochs``
forces a fixed number of epochs (patience off) to time the worst case.

    .venv/bin/python bench/rec_scale.py [--users 100000] [--items 10000]
        [--interactions 1000000] [--k 100] [--ease-max-items N]
        [--sequence 0.25] [--sequence-epochs N]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommendations.engine.models import production_model
from recommendations.engine.ranking import recommend
from recommendations.engine.synthetic import session_times, zipf_interactions
from recommendations.engine.types import EngineConfig


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=100)
    parser.add_argument("--ease-max-items", type=int, default=EngineConfig().ease_max_items)
    parser.add_argument("--sequence", type=float, default=0.0, help="sequence member weight")
    parser.add_argument(
        "--sequence-epochs", type=int, default=0, help="run exactly N epochs (0: early stopping)"
    )
    return parser.parse_args()


def main() -> None:
    """Generate data, fit the production model, precompute every user's list."""
    args = parse_args()
    load_before = os.getloadavg()[0]
    X = zipf_interactions(args.users, args.items, args.interactions, exponent=0.8, seed=0)
    times = session_times(X, seed=0)
    config = dataclasses.replace(
        EngineConfig(),
        ease_max_items=args.ease_max_items,
        hybrid_weights={**EngineConfig().hybrid_weights, "sequence": args.sequence},
    )
    if args.sequence_epochs:
        config = dataclasses.replace(
            config, sequence_max_epochs=args.sequence_epochs, sequence_patience=args.sequence_epochs
        )
    model = production_model(config, n_items=args.items)
    members = ", ".join(member.name for member, _ in model.members)
    similar_only = [
        m.name for m, _ in model.neighbours if all(m is not n for n, _ in model.members)
    ]
    if similar_only:
        members += f" (+ {', '.join(similar_only)} for similar items)"
    started = time.perf_counter()
    model.fit(X, times)
    fitted = time.perf_counter()
    top = recommend(model, X, np.arange(args.users), args.k)
    done = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mib, cpu_seconds = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    print(f"data        {args.users:,} users x {args.items:,} items, {X.nnz:,} nnz")
    print(f"model       hybrid of {members}")
    print(f"fit         {fitted - started:6.1f} s")
    print(f"top-{args.k:<6} {done - fitted:6.1f} s  ({top.indices.shape[0]:,} users)")
    print(f"total       {done - started:6.1f} s  (budget 90 s; 600 s with the sequence member)")
    for member, _ in model.members:
        log = getattr(member, "log_", None)
        if log is not None:
            print(f"sequence    {log.seconds:6.1f} s fit: {log.status}")
    for note in model.notes:
        print(f"note        {note}")
    print(f"CPU time    {cpu_seconds:6.1f} s  (whole process; wall on an idle 2-core box >= half)")
    print(f"peak RSS    {peak_mib:6.0f} MiB (budget 4096 MiB)")
    print(f"load avg    {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (1-minute)")


if __name__ == "__main__":
    main()
