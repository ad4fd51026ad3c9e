"""Second-stage ranking and off-policy evaluation on simulated impression logs (known truth).

1. Ranker: ``simulate_impressions`` draws logged impressions from a fixed
   behaviour model (engine/synthetic.py says how clicks, watch ratios and
   purchases depend on the features). The ranker is trained on 50,000 of
   them and judged on 20,000 fresh ones against the truth: rank
   correlation with the true expected value, and the true value of the top
   tenth it picks versus the top tenth the best retrieval member picks.
2. Off-policy: the feed slot is served by a logging policy that samples a
   candidate from a softmax over the member score (its propensities
   logged); the ranker's greedy choice is the target policy. Its true
   value per slot is known from the simulator; the self-normalised IPS
   estimate from the logs, with its 95 % interval, should recover it.

    .venv/bin/python bench/rec_second_stage.py [--train 50000] [--slots 20000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommendations.engine.exploration import snips_estimate
from recommendations.engine.synthetic import SimulatedImpressions, simulate_impressions
from recommendations.engine.watch_ranker import WatchTimeRanker

PURCHASE_VALUE = 600.0  # seconds of watch time one purchase is worth
CANDIDATES = 10


def main() -> None:
    """Train, judge against the truth, then estimate the ranker policy off-policy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=50_000)
    parser.add_argument("--slots", type=int, default=20_000)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    train = simulate_impressions(args.train, seed=1)
    test = simulate_impressions(args.slots * CANDIDATES, seed=2)
    started = time.perf_counter()
    ranker = WatchTimeRanker(purchase_value_seconds=PURCHASE_VALUE).fit(train.log)
    fit_seconds = time.perf_counter() - started
    truth = test.expected_watch_seconds + PURCHASE_VALUE * test.purchase_probability
    score = ranker.score(test.log.features)
    member = test.log.features.member_scores[:, 0]
    top = max(truth.size // 10, 1)
    print(f"ranker fit on {args.train:,} impressions: {fit_seconds:.1f} s")
    print(f"Spearman(score, true value):       {spearmanr(score, truth)[0]:.3f}")
    print(f"Spearman(member 0, true value):    {spearmanr(member, truth)[0]:.3f}")
    print(
        f"true value of the top tenth: ranker {truth[np.argsort(-score)[:top]].mean():.1f}, "
        f"member 0 {truth[np.argsort(-member)[:top]].mean():.1f}, all {truth.mean():.1f}"
    )
    # Off-policy: slots of CANDIDATES candidates each.
    rng = np.random.default_rng(3)
    slot_truth = truth.reshape(args.slots, CANDIDATES)
    slot_member = member.reshape(args.slots, CANDIDATES).astype(np.float64)
    slot_score = score.reshape(args.slots, CANDIDATES)
    logits = 3.0 * slot_member
    logging = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    cumulative = logging.cumsum(axis=1)
    served = np.minimum((rng.random(args.slots)[:, None] > cumulative).sum(axis=1), CANDIDATES - 1)
    rows = np.arange(args.slots)
    observed = _realised(test, rows * CANDIDATES + served)
    greedy = slot_score.argmax(axis=1)
    target = (served == greedy).astype(float)
    estimate = snips_estimate(observed, logging[rows, served], target)
    true_target = slot_truth[rows, greedy].mean()
    print(
        f"\nlogging policy (softmax over member 0) true value {(logging * slot_truth).sum(axis=1).mean():.1f}"
        f" per slot; logged average {observed.mean():.1f}"
    )
    print(f"ranker policy true value {true_target:.1f} per slot")
    print(
        f"SNIPS estimate {estimate.value:.1f}, 95 % interval [{estimate.low:.1f}, {estimate.high:.1f}]"
        f" (delta method), ESS {estimate.effective_sample_size:.0f} of {estimate.n:,}; "
        f"covers the truth: {estimate.low <= true_target <= estimate.high}"
    )
    print(f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after (1-minute)")


def _realised(sim: SimulatedImpressions, rows: np.ndarray) -> np.ndarray:
    """Observed value of the served impressions: watch seconds + value of a purchase."""
    log = sim.log
    return np.asarray(log.watch_seconds)[rows] + PURCHASE_VALUE * np.asarray(log.purchased)[rows]


if __name__ == "__main__":
    main()
