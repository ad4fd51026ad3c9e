import dataclasses
import json
from argparse import ArgumentParser
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recommendations.engine.cli import format_table
from recommendations.engine.evaluation import evaluate, split_temporal
from recommendations.engine.models import ALGORITHMS, make_model
from recommendations.selectors import training_data_load
from recommendations.services import engine_config


class Command(BaseCommand):
    help = (
        "Evaluate every algorithm on the platform's own events: fit on the earliest 80% of "
        "interactions, rank everything for the latest 20% (temporal holdout)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument(
            "--holdout", type=float, default=0.2, help="share of the latest interactions to test on"
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
        split = split_temporal(
            data.interactions, float(np.quantile(stamps, 1 - options["holdout"]))
        )
        config = dataclasses.replace(engine_config())
        n_items = data.interactions.n_items
        results = [
            evaluate(
                make_model(name, config, n_items=n_items, content=data.catalogue.content),
                split,
                k=options["k"],
                label=name,
            )
            for name in options["algorithms"]
        ]
        if options["json"]:
            self.stdout.write(json.dumps([r.as_dict() for r in results], indent=2))
        else:
            self.stdout.write(format_table(results))
