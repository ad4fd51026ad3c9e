"""Offline report of the second-stage ranker on the platform's logged impressions."""

import dataclasses
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from recommendations.second_stage import ranker_report
from recommendations.selectors import training_data_load
from recommendations.services import engine_config


class Command(BaseCommand):
    help = (
        "Fit the watch-time and purchase ranker on the older 80% of the logged video impressions "
        "and judge it on the newer 20% against the best member's order (realised watch seconds "
        "plus 600 s per purchase)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        data = training_data_load(now=now, half_life_days=settings.RECOMMENDATIONS_HALF_LIFE_DAYS)
        if data.interactions.matrix.nnz == 0:
            raise CommandError("No interactions yet: seed the demo or wait for viewers.")
        config = dataclasses.replace(engine_config(), sequence_up_next=False)
        report = ranker_report(data, config, now=now)
        if report is None:
            raise CommandError("Too few logged impressions of known viewers to fit and judge.")
        if options["json"]:
            self.stdout.write(json.dumps(dataclasses.asdict(report), indent=2))
            return
        r = report
        self.stdout.write(
            f"{r.impressions} impressions ({r.train} older to fit, {r.test} newer to judge); "
            f"click rate {r.click_rate:.3f}, purchase rate {r.purchase_rate:.4f}\n"
            f"Spearman with realised value: ranker {r.spearman_ranker:.3f}, "
            f"best member {r.spearman_member:.3f}\n"
            f"realised value of the first tenth: ranker {r.top_tenth_ranker:.1f} s, "
            f"best member {r.top_tenth_member:.1f} s, all {r.mean_value:.1f} s"
        )
        if r.click_rate == 1.0:
            self.stdout.write(
                "Every logged impression was played: there are no negatives to learn a "
                "click-through from (the demo logs an impression only for a video it plays)."
            )
