"""Operational state that spans apps: when each queue's workers last answered."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """The last canary task a worker consuming ``queue`` ran (beat sends one every 30 s).

    A queue whose heartbeat goes stale has no worker taking tasks from it,
    even if a worker process is up and connected (readiness, metrics).

    .. no_pii:
    """

    queue = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()
    hostname = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = _("worker heartbeat")
        verbose_name_plural = _("worker heartbeats")

    def __str__(self) -> str:
        return f"{self.queue} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
