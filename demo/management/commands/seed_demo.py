from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from demo.seed import DEMO_PASSWORD, SeedSize, seed_demo


class Command(BaseCommand):
    help = "Build the demo platform (idempotent). Sizes scale it up for benchmarks."

    def add_arguments(self, parser: ArgumentParser) -> None:
        defaults = SeedSize()
        parser.add_argument("--users", type=int, default=defaults.users, help="viewers")
        parser.add_argument("--videos", type=int, default=defaults.videos, help="short videos")
        parser.add_argument("--courses", type=int, default=defaults.courses, help="courses")
        parser.add_argument(
            "--events", type=int, default=defaults.events, help="about this many behaviour events"
        )
        parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
        parser.add_argument(
            "--no-ab-tests",
            dest="ab_tests",
            action="store_false",
            help="skip the demo's finished and running A/B tests",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        size = SeedSize(
            **{k: options[k] for k in ("users", "videos", "courses", "events", "seed", "ab_tests")}
        )
        for name in ("users", "videos", "courses", "events"):
            if getattr(size, name) < 0:
                self.stderr.write(f"--{name} must be zero or more.")
                raise SystemExit(2)
        counts = seed_demo(size)
        summary = ", ".join(f"{k}={v}" for k, v in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({summary})."))
        self.stdout.write(f"Log in as admin/admin (staff) or demo/{DEMO_PASSWORD} (viewer).")
