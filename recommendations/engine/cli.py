"""Evaluate every algorithm on an interaction file, no database needed.

    python -m recommendations.engine.cli --data PATH [--format csv|movielens]
        [--split random|loo|temporal|file --test PATH] [--k 10] [--seed 0]
        [--json] [--algorithms ease als ...]

CSV rows are ``user,item[,weight][,timestamp]`` (header optional). For
MovieLens ``u.data``, ratings >= 4 are the positives (protocol A) and the
sibling ``u.item`` supplies titles and genres for the content model.
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
    split_random,
    split_temporal,
)
from recommendations.engine.models import ALGORITHMS, make_model
from recommendations.engine.types import EngineConfig, EvaluationResult, ItemContent, Split

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
    parser.add_argument("--split", choices=("random", "loo", "temporal", "file"), default="random")
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


def run(args: argparse.Namespace) -> list[EvaluationResult]:
    """Evaluate each requested algorithm on one split; skip content without text."""
    dataset, content = load(args)
    split = make_split(args, dataset)
    config = dataclasses.replace(EngineConfig(), seed=args.seed)
    n_items = split.train.shape[1]
    names = [n for n in args.algorithms if content is not None or n != "content"]
    return [
        evaluate(
            make_model(name, config, n_items=n_items, content=content), split, k=args.k, label=name
        )
        for name in names
    ]


def format_table(results: Sequence[EvaluationResult]) -> str:
    """Render results as an aligned text table."""
    k = results[0].k if results else 10
    header = f"{'algorithm':<12}" + "".join(f"{title.format(k=k):>9}" for _, title in _COLUMNS)
    lines = [header, "-" * len(header)]
    for result in results:
        row = result.as_dict()
        cells = "".join(f"{float(row[field]):>9.4f}" for field, _ in _COLUMNS[:-1])
        lines.append(f"{result.model:<12}{cells}{result.fit_seconds:>9.2f}")
    users = results[0].n_users if results else 0
    lines.append(f"({users} test users; training items excluded; full ranking)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI and print a table or JSON to stdout."""
    args = parse_args(argv)
    results = run(args)
    if args.json:
        json.dump([result.as_dict() for result in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_table(results))


if __name__ == "__main__":
    main()
