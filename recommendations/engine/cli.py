"""Evaluate every algorithm on an interaction file, no database needed.

    python -m recommendations.engine.cli --data PATH [--format csv|movielens]
        [--split random|loo|next-item|temporal|file --test PATH] [--k 10] [--seed 0]
        [--json] [--algorithms ease als ...]

CSV rows are ``user,item[,weight][,timestamp]`` (header optional). For
MovieLens ``u.data``, ratings >= 4 are the positives (protocol A) and the
sibling ``u.item`` supplies titles and genres for the content model.

``--split next-item`` is leave-last-out by time: each user's latest item is
ranked among all items except their training ones, and the sequential
models (``markov``, the last-item baseline, and ``sequence``, SASRec) are
reported next to the order-free ones. Without torch the sequence model is
skipped with a status line instead of failing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from recommendations.engine.datasets import (
    Dataset,
    index_records,
    read_csv,
    read_movielens,
    read_movielens_items,
)
from recommendations.engine.evaluation import (
    evaluate,
    split_leave_one_out,
    split_next_item,
    split_random,
    split_temporal,
)
from recommendations.engine.models import ALGORITHMS, SEQUENTIAL_ALGORITHMS, make_model
from recommendations.engine.torch_support import TORCH_MISSING, torch_available
from recommendations.engine.types import EngineConfig, EvaluationResult, ItemContent, Split

SPLITS = ("random", "loo", "next-item", "temporal", "file")
_COLUMNS = (
    ("precision", "P@{k}"),
    ("recall", "R@{k}"),
    ("ndcg", "NDCG@{k}"),
    ("map", "MAP@{k}"),
    ("hit_rate", "HR@{k}"),
    ("coverage", "Cov"),
    ("fit_seconds", "Fit s"),
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line (``argv`` defaults to ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(description="Offline evaluation of the recommender engine.")
    parser.add_argument("--data", type=Path, required=True, help="interaction file")
    parser.add_argument("--format", choices=("csv", "movielens"), default="csv")
    parser.add_argument("--split", choices=SPLITS, default="random")
    parser.add_argument("--test", type=Path, help="test file for --split file (same format)")
    parser.add_argument("--test-fraction", type=float, default=0.2, help="for --split random")
    parser.add_argument("--cutoff", type=float, help="unix time for --split temporal")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--algorithms", nargs="+", choices=ALGORITHMS, default=list(ALGORITHMS))
    args = parser.parse_args(argv)
    if args.split == "file" and args.test is None:
        parser.error("--split file needs --test PATH")
    return args


def load(args: argparse.Namespace) -> tuple[Dataset, ItemContent | None]:
    """Read the training (and test) file and, for MovieLens, item content."""
    reader = read_movielens if args.format == "movielens" else read_csv
    parts = [reader(args.data)] + ([reader(args.test)] if args.split == "file" else [])
    dataset = index_records(*parts)
    items_file = args.data.with_name("u.item")
    if args.format == "movielens" and items_file.exists():
        return dataset, read_movielens_items(items_file, dataset.item_ids)
    return dataset, None


def make_split(args: argparse.Namespace, dataset: Dataset) -> Split:
    """Build the requested train/test split."""
    interactions = dataset.parts[0]
    if args.split == "random":
        return split_random(
            interactions.matrix,
            timestamps=interactions.timestamps,
            test_fraction=args.test_fraction,
            seed=args.seed,
        )
    if args.split == "loo":
        return split_leave_one_out(interactions.matrix, interactions.timestamps, seed=args.seed)
    if args.split == "next-item":
        if interactions.timestamps is None:
            raise SystemExit("--split next-item needs a timestamp column")
        return split_next_item(interactions.matrix, interactions.timestamps, seed=args.seed)
    if args.split == "temporal":
        if interactions.timestamps is None:
            raise SystemExit("--split temporal needs a timestamp column")
        cutoff = args.cutoff or float(np.quantile(interactions.timestamps, 0.8))
        return split_temporal(interactions, cutoff)
    return Split(
        train=interactions.matrix,
        test=dataset.parts[1].matrix,
        train_times=interactions.timestamps,
    )


def run(args: argparse.Namespace) -> tuple[list[EvaluationResult], list[str]]:
    """Evaluate each requested algorithm on one split; return the results and status notes."""
    dataset, content = load(args)
    split = make_split(args, dataset)
    config = dataclasses.replace(EngineConfig(), seed=args.seed)
    return evaluate_algorithms(args.algorithms, config, split, content=content, k=args.k)


def evaluate_algorithms(
    names: Sequence[str],
    config: EngineConfig,
    split: Split,
    *,
    content: ItemContent | None,
    k: int = 10,
) -> tuple[list[EvaluationResult], list[str]]:
    """Fit and score each named algorithm on ``split``; say why any was skipped.

    Content needs item text, and the sequence model needs torch: without
    them the algorithm is skipped with a note (e.g.
    :data:`~recommendations.engine.torch_support.TORCH_MISSING`), never an error.
    """
    notes: list[str] = []
    results: list[EvaluationResult] = []
    n_items = split.train.shape[1]
    for name in names:
        if name == "content" and content is None:
            notes.append("no item content: content model skipped")
            continue
        if name == "sequence" and not torch_available():
            notes.append(TORCH_MISSING)
            continue
        model = make_model(name, config, n_items=n_items, content=content)
        results.append(evaluate(model, split, k=k, label=name))
        notes.extend(getattr(model, "notes", ()))
    return results, sorted(set(notes), key=notes.index)


def sequential_summary(results: Sequence[EvaluationResult]) -> str | None:
    """One line comparing the best sequential model with the best order-free one, if both ran."""
    sequential = [r for r in results if r.model in SEQUENTIAL_ALGORITHMS]
    order_free = [r for r in results if r.model not in SEQUENTIAL_ALGORITHMS]
    if not sequential or not order_free:
        return None
    best_seq = max(sequential, key=lambda r: r.ndcg)
    best_free = max(order_free, key=lambda r: r.ndcg)
    ratio = best_seq.ndcg / best_free.ndcg if best_free.ndcg > 0 else float("inf")
    return (
        f"best sequential {best_seq.model} NDCG {best_seq.ndcg:.4f} = {ratio:.2f} x "
        f"best order-free {best_free.model} {best_free.ndcg:.4f}"
    )


def format_table(results: Sequence[EvaluationResult], notes: Sequence[str] = ()) -> str:
    """Render results as an aligned text table, with status notes below."""
    k = results[0].k if results else 10
    header = f"{'algorithm':<12}" + "".join(f"{title.format(k=k):>9}" for _, title in _COLUMNS)
    lines = [header, "-" * len(header)]
    for result in results:
        row = result.as_dict()
        cells = "".join(f"{float(row[field]):>9.4f}" for field, _ in _COLUMNS[:-1])
        lines.append(f"{result.model:<12}{cells}{result.fit_seconds:>9.2f}")
    users = results[0].n_users if results else 0
    lines.append(f"({users} test users; training items excluded; full ranking)")
    summary = sequential_summary(results)
    if summary:
        lines.append(summary)
    lines.extend(f"note: {note}" for note in notes)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI and print a table or JSON to stdout."""
    args = parse_args(argv)
    results, notes = run(args)
    if args.json:
        json.dump([result.as_dict() for result in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
    else:
        print(format_table(results, notes))


if __name__ == "__main__":
    main()
