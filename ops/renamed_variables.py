"""Environment variables renamed to their app's prefix, still read under the old name.

Issue 18 gave each app one prefix (docs/decisions.md, "One settings prefix per
app"). A site configured with an old name keeps working for one release: the
value is read under the new name, with a warning that names it. When both names
are set the new one wins, and the warning says the old one is ignored. The
release after the one that renamed them drops this table, and the old names
with it.

Plain Python, like ops.environment: base.py applies it before django.setup().
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

# Old name -> new name (the Django setting carries the new name too).
RENAMED_VARIABLES: dict[str, str] = {
    "EVENTS_MAX_BATCH": "ANALYTICS_EVENTS_MAX_BATCH",
    "KF_PASSWORD_RESET_MAILS": "ACCOUNTS_PASSWORD_RESET_MAILS",
    "KF_PASSWORD_RESET_REQUESTS_PER_IP": "ACCOUNTS_PASSWORD_RESET_REQUESTS_PER_IP",
    "KF_LOGIN_FAILURE_LIMIT": "ACCOUNTS_LOGIN_FAILURE_LIMIT",
    "KF_LOGIN_COOLOFF_MINUTES": "ACCOUNTS_LOGIN_COOLOFF_MINUTES",
    "KF_SHARE_RATE": "COURSES_SHARE_RATE",
    "KF_SHORT_VIDEO_MAX_SECONDS": "COURSES_SHORT_VIDEO_MAX_SECONDS",
    "KF_LESSON_MAX_SECONDS": "COURSES_LESSON_MAX_SECONDS",
    "KF_MEDIA_STALE_SECONDS": "COURSES_MEDIA_STALE_SECONDS",
    "KF_MEDIA_URL_KEY": "COURSES_MEDIA_URL_KEY",
    "KF_MEDIA_URL_TTL_SECONDS": "COURSES_MEDIA_URL_TTL_SECONDS",
    "KF_MEDIA_ACCEL_PREFIX": "COURSES_MEDIA_ACCEL_PREFIX",
    "KF_UPLOAD_MAX_BYTES": "STUDIO_UPLOAD_MAX_BYTES",
    "KF_UPLOAD_CHUNK_BYTES": "STUDIO_UPLOAD_CHUNK_BYTES",
    "KF_UPLOAD_CHUNK_MAX_BYTES": "STUDIO_UPLOAD_CHUNK_MAX_BYTES",
    "KF_UPLOAD_SESSION_HOURS": "STUDIO_UPLOAD_SESSION_HOURS",
    "KF_MODERATION_REQUIRED": "STUDIO_MODERATION_REQUIRED",
    "KF_PLATFORM_FEE_PERCENT": "COMMERCE_PLATFORM_FEE_PERCENT",
    "STRIPE_SECRET_KEY": "COMMERCE_STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET": "COMMERCE_STRIPE_WEBHOOK_SECRET",
}


class RenamedVariableWarning(FutureWarning):
    """An environment variable is set under a name that stops working next release.

    A FutureWarning, not a DeprecationWarning: it is meant for the operator who
    set the variable, and Python shows FutureWarning by default where it hides
    DeprecationWarning outside ``__main__`` (gunicorn and Celery would stay silent).
    """


def environ_with_renamed_variables(
    environ: Mapping[str, str], renamed: Mapping[str, str] = RENAMED_VARIABLES
) -> dict[str, str]:
    """A copy of ``environ`` in which each old name set alone also answers to its new name.

    Warns once for every old name found: read in place of the new one, or ignored
    because the new one is set too. ``environ`` itself is left alone, so child
    processes see what the operator set.
    """
    merged = dict(environ)
    for old, new in renamed.items():
        if old not in environ:
            continue
        if new in environ:
            message = f"{old} is ignored: {new} is set and wins. Remove {old}."
        else:
            merged[new] = environ[old]
            message = (
                f"{old} is renamed {new}; the old name is read for this release only. "
                f"Rename it in the environment or .env."
            )
        warnings.warn(message, RenamedVariableWarning, stacklevel=2)
    return merged
