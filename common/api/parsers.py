"""The JSON parser every API view uses: refuses what no part of the app can store."""

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
        _refuse_unstorable_strings(data)
        return data


def _refuse_unstorable_strings(data: Any) -> None:
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
                raise ParseError("Null characters are not allowed.")
            try:
                node.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ParseError("Invalid text: unpaired surrogate.") from exc
