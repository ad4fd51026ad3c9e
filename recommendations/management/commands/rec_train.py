from typing import Any

from django.core.management.base import BaseCommand, CommandError

from recommendations.services import RetrainAlreadyRunning, recommender_retrain


class Command(BaseCommand):
    help = "Retrain the recommender now and publish it if it passes the promotion gate."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            version = recommender_retrain()
        except RetrainAlreadyRunning as exc:
            raise CommandError(f"{exc.message} Try again when it has finished.") from exc
        metrics = ", ".join(f"{k}={v}" for k, v in version.metrics.items())
        self.stdout.write(
            f"Model v{version.pk} {version.status}: {version.n_users} users × {version.n_items} items, "
            f"{version.n_interactions} interactions, fit {version.fit_seconds:.2f}s. {metrics} {version.note}"
        )
