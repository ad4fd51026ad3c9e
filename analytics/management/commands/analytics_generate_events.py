"""Write a large synthetic event load (realistic behaviour) for benches and demos."""

import time
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.partitions import event_partitions_ensure
from analytics.rollups import local_today
from analytics.services import events_load_rows
from analytics.synthetic import generate


class Command(BaseCommand):
    help = "Generate synthetic events: --days D ending yesterday, --events-per-day N, --users U."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--events-per-day", type=int, default=10_000)
        parser.add_argument("--users", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--first", type=date.fromisoformat, help="First local day.")

    def handle(self, *args: Any, **options: Any) -> None:
        days, per_day, users = options["days"], options["events_per_day"], options["users"]
        if days < 1 or per_day < 1 or users < 1:
            raise CommandError("--days, --events-per-day and --users must be positive.")
        first = options["first"] or local_today() - timedelta(days=days)
        started = time.perf_counter()
        event_partitions_ensure(first=first, last=first + timedelta(days=days))
        stored = events_load_rows(
            rows=generate(
                first=first,
                days=days,
                users=users,
                events_per_day=per_day,
                seed=options["seed"],
                tz=settings.KF_REPORT_TZ,
            )
        )
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Stored {stored} events over {days} days from {first} in {seconds:.1f} s. "
            "Run analytics_backfill for the same days to roll them up."
        )
