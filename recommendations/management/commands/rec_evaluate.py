import dataclasses
import json
from argparse import ArgumentParser
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recommendations.engine.cli import evaluate_algorithms, format_table
from recommendations.engine.evaluation import split_next_item, split_temporal
from recommendations.engine.models import ALGORITHMS
from recommendations.selectors import training_data_load
from recommendations.services import engine_config


class Command(BaseCommand):
    help = (
        "Evaluate every algorithm on the platform's own events: fit on the earliest 80% of "
        "interactions, rank everything for the latest 20% (temporal holdout), or with "
        "--split next-item rank each viewer's latest item (leave-last-out by time), "
        "sequence model and Markov last-item baseline included."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument(
            "--holdout", type=float, default=0.2, help="share of the latest interactions to test on"
        )
        parser.add_argument(
            "--split",
            choices=("temporal", "next-item"),
            default="temporal",
            help="temporal holdout (default) or leave-last-out by time",
        )
        parser.add_argument("--algorithms", nargs="+", choices=ALGORITHMS, default=list(ALGORITHMS))
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["holdout"] < 1:
            raise CommandError("--holdout must be between 0 and 1.")
        data = training_data_load(now=timezone.now(), half_life_days=30.0)
        stamps = data.interactions.timestamps
        if stamps is None or stamps.size < 10:
            raise CommandError("Not enough interactions to evaluate; run seed_demo first.")
        if options["split"] == "next-item":
            split = split_next_item(data.interactions.matrix, stamps)
        else:
            split = split_temporal(
                data.interactions, float(np.quantile(stamps, 1 - options["holdout"]))
            )
        if split.test.nnz == 0:
            raise CommandError("No viewer has an item to hold out; run seed_demo first.")
        results, notes = evaluate_algorithms(
            options["algorithms"],
            dataclasses.replace(engine_config()),
            split,
            content=data.catalogue.content,
            k=options["k"],
        )
        if options["json"]:
            self.stdout.write(json.dumps([r.as_dict() for r in results], indent=2))
            for note in notes:
                self.stderr.write(f"note: {note}")
        else:
            self.stdout.write(format_table(results, notes))
