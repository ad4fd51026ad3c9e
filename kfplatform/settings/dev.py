"""Local development: ``manage.py`` uses these."""

from datetime import timedelta

from .base import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)  # noqa: F405

# make run's beat refreshes today's rollups this often, so a purchase shows on /dashboard/
# within minutes (production: every ten). Dev-stack tests shorten it and the retrain.
KF_DEV_ROLLUP_SECONDS = env.int("KF_DEV_ROLLUP_SECONDS", default=120)  # noqa: F405
CELERY_BEAT_SCHEDULE["analytics-rollup-today"] |= {  # noqa: F405
    "schedule": timedelta(seconds=KF_DEV_ROLLUP_SECONDS),
    "options": {"expires": KF_DEV_ROLLUP_SECONDS},
}
# Empty: the production schedule (hourly, on the hour).
KF_DEV_RETRAIN_SECONDS = env.int("KF_DEV_RETRAIN_SECONDS", default=0)  # noqa: F405
if KF_DEV_RETRAIN_SECONDS:
    CELERY_BEAT_SCHEDULE["recommendations-retrain-hourly"] |= {  # noqa: F405
        "schedule": timedelta(seconds=KF_DEV_RETRAIN_SECONDS),
        "options": {"expires": KF_DEV_RETRAIN_SECONDS},
    }
