"""The JSON parser every API view uses: refuses what no part of the app can store."""

import json
import math
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, plus the refusals that would otherwise be 500s.

    * nesting deep enough to exhaust the parser's recursion (``[[[[…]]]]``);
    * ``NaN``, ``Infinity`` and numbers beyond a float (``1e400``), which
      neither jsonb nor a float column holds;
    * NUL characters (``"\\u0000"``): PostgreSQL text and jsonb cannot hold
      them, so they would fail deep inside a query; forms are refused by
      ``common.middleware.RejectNullCharactersMiddleware``;
    * unpaired surrogates (``"\\ud800"``): not encodable as UTF-8, so
      neither a database nor the JSON renderer (echoing the value in an
      error message) can write them.

    Both kinds of text can only arrive as ``\\u`` escapes (raw control
    characters and undecodable bytes already fail the parse), so the
    strings are walked only when the body has one: event batches, the
    busiest JSON, never do.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = stream.read().decode(encoding)
            data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        problem = unstorable_text(data) if "\\u" in text else None
        if problem:
            raise ParseError(problem)
        return data


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number JSON allows here")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"{literal} is beyond a float")
    return value


def unstorable_text(data: Any) -> str | None:
    """Why parsed JSON cannot be stored as text or jsonb, or None if it can."""
    pending = [data]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            pending.extend(node.keys())
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, str):
            if "\x00" in node:
                return "Null characters are not allowed."
            if not node.isascii():
                try:
                    node.encode("utf-8")
                except UnicodeEncodeError:
                    return "Invalid text: unpaired surrogate."
        elif isinstance(node, float) and not math.isfinite(node):  # 1e400 reads as inf
            return "Numbers must be finite."
    return None
