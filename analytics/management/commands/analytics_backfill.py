"""Rebuild the analytics rollups of a range of local days."""

from datetime import date, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics.rollups import local_today
from analytics.services import rollups_backfill


class Command(BaseCommand):
    help = "Rebuild rollups for local days --from..--to (or the last --days days)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="first", type=date.fromisoformat)
        parser.add_argument("--to", dest="last", type=date.fromisoformat)
        parser.add_argument("--days", type=int, help="The last N days up to today.")

    def handle(
        self, *args: Any, first: date | None, last: date | None, days: int | None, **options: Any
    ) -> None:
        today = local_today()
        if days is not None:
            if days < 1:
                raise CommandError("--days must be at least 1.")
            first, last = today - timedelta(days=days - 1), today
        if first is None:
            raise CommandError("Give --from (and optionally --to) or --days.")
        last = last or today
        if first > last:
            raise CommandError("--from must be on or before --to.")
        done = rollups_backfill(first=first, last=min(last, today))
        self.stdout.write(f"Rolled up {len(done)} local days ({first} to {min(last, today)}).")
