"""Queueing a task without letting a broker outage fail the request that asked for it.

Only for work that something else finds and redoes when the task never ran
(a beat sweeper, a nightly recompute): the request then answers normally
and the outage costs a delay, not a 500 after the data was committed.
"""

import logging
from typing import Any

from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def task_send_or_leave_to_sweeper(task: Any, **kwargs: Any) -> bool:
    """``task.delay(**kwargs)``; False (and a warning) when the broker cannot take it."""
    try:
        task.delay(**kwargs)
    except (OperationalError, OSError) as exc:
        logger.warning("broker unavailable, %s left to its sweeper: %s", task.name, exc)
        return False
    return True
