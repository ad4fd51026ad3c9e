"""``manage.py vision_analyse [--force] [--limit N]``: analyse ready videos that have no analysis.

New uploads are analysed on the media queue; this is for a backlog and for
the demo (``make demo`` runs it after seeding).
"""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from courses.services import media_assets_analyse_missing


class Command(BaseCommand):
    help = "Analyse ready videos without an analysis (keyframes, on-screen text, chapters)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--force", action="store_true", help="analyse every video again")
        parser.add_argument("--limit", type=int, default=None, help="at most this many assets")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.COURSES_VISION_ENABLED:
            raise CommandError("COURSES_VISION_ENABLED is off.")
        done = media_assets_analyse_missing(
            force=options["force"],
            limit=options["limit"],
            log=lambda line: self.stdout.write(line),
        )
        self.stdout.write(self.style.SUCCESS(f"{done} video(s) analysed."))
