"""The JSON parser every API view uses: refuses what no part of the app can store."""

import math
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class StrictJSONParser(JSONParser):
    """DRF's JSON parser, plus three refusals that would otherwise be 500s.

    * nesting deep enough to exhaust the parser's recursion (``[[[[…]]]]``);
    * NUL characters (``"\\u0000"``): PostgreSQL text and jsonb cannot hold
      them, so they would fail deep inside a query; forms are refused by
      ``common.middleware.RejectNullCharactersMiddleware``;
    * unpaired surrogates (``"\\ud800"``): not encodable as UTF-8, so
      neither a database nor the JSON renderer (echoing the value in an
      error message) can write them.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - nested too deeply.") from exc
        problem = unstorable_text(data)
        if problem:
            raise ParseError(problem)
        return data


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
