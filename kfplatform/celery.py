"""The Celery app. Settings come from Django's (``CELERY_*``), tasks from each app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kfplatform.settings.dev")

app = Celery("kfplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from ops import metrics  # noqa: E402, F401  (connects the task metrics' signal handlers)
