"""Fast validation of one batch's events, rule for rule as ``EventInSerializer``.

DRF serializers cost about 0.5 ms per event; a batch of 500 would spend
250 ms validating. These checks are plain Python (about 100× faster) and give
the same per-event error messages, keyed by the event's index.
"""

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from rest_framework import serializers

CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# Any clock, however wrong, shows a year in this range; outside it the clock
# correction itself would overflow.
YEARS = range(1971, 3000)
ID_FIELDS = ("video_id", "course_id", "creator_id")
KNOWN = {"type", "ts", "client_event_id", "session_id", "value", "props", *ID_FIELDS}


def _ts(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError
    parsed = datetime.fromisoformat(value)
    if parsed.year not in YEARS:
        raise ValueError
    if timezone.is_naive(parsed):  # whose clock? refused, as the message says
        raise ValueError
    # Python accepts offsets up to 24 h and with seconds; PostgreSQL does not.
    return parsed.astimezone(UTC)


def check_event(item: Any, types: set[str], max_props: int) -> tuple[dict, dict[str, list]]:
    """Return (clean event, errors by field) for one raw event."""
    if not isinstance(item, dict):
        return {}, {"non_field_errors": ["Each event must be an object."]}
    errors: dict[str, list] = {}
    clean: dict[str, Any] = {}
    kind = item.get("type")
    if not isinstance(kind, str) or kind not in types:  # {} or [] would not even hash
        errors["type"] = [f'"{str(kind)[:40]}" is not a valid client event type.']
    clean["type"] = kind
    try:
        clean["ts"] = _ts(item.get("ts"))
    except (TypeError, ValueError):
        errors["ts"] = ["Use ISO 8601 with a time zone, in the years 1971-2999."]
    client_id = item.get("client_event_id")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        errors["client_event_id"] = ["Required: 1-64 letters, digits or _.:-"]
    clean["client_event_id"] = client_id
    session = item.get("session_id", "") or ""
    if not isinstance(session, str) or len(session) > 64:
        errors["session_id"] = ["At most 64 characters."]
    clean["session_id"] = session
    _check_ids(item, clean, errors)
    _check_value(item, clean, errors)
    _check_props(item, clean, errors, max_props)
    unknown = set(item) - KNOWN
    if unknown:
        errors["non_field_errors"] = [f"Unknown fields: {', '.join(sorted(unknown))}."]
    return clean, errors


def _check_ids(item: dict, clean: dict, errors: dict) -> None:
    for name in ID_FIELDS:
        raw = item.get(name)
        if raw is not None and (type(raw) is not int or raw < 1 or raw > 2**62):
            errors[name] = ["A positive integer or null."]
        clean[name] = raw


def _check_value(item: dict, clean: dict, errors: dict) -> None:
    value = item.get("value", 0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
        errors["value"] = ["A valid number is required."]
    elif abs(value) > 1e12:
        errors["value"] = ["Ensure this value is within ±1e12."]
    clean["value"] = value


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond any float
        return False


def _check_props(item: dict, clean: dict, errors: dict, max_props: int) -> None:
    props = item.get("props", {}) or {}
    if not isinstance(props, dict):
        errors["props"] = ["Expected a dictionary of items."]
    elif props and len(json.dumps(props, ensure_ascii=False)) > max_props:
        errors["props"] = [f"props must be at most {max_props} characters of JSON."]
    clean["props"] = props


def check_events(items: list, types: set[str], max_props: int) -> list[dict]:
    """Validate every event; raise one ValidationError listing each bad index."""
    cleaned, problems = [], []
    for item in items:
        clean, errors = check_event(item, types, max_props)
        cleaned.append(clean)
        problems.append(errors)
    if any(problems):
        raise serializers.ValidationError(problems)
    return cleaned
