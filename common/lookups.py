"""``AnyOf``: an integer column among many ids, bound as one parameter.

``filter(pk__in=ids)`` compiles and binds one parameter per id; ingestion
asks about hundreds of ids per batch, and the ``IN`` list was two fifths of
its client CPU (bench/analytics_bench.py, docs/benchmarks.md). Use it as an
expression: ``Video.objects.filter(AnyOf(F("pk"), ids))``.
"""

import json
from collections.abc import Iterable
from typing import Any

from django.db.models import Lookup


class AnyOf(Lookup):
    """The column's value is one of ``rhs`` (integers): ``= ANY`` of one array, or a JSON array."""

    lookup_name = "any_of"
    prepare_rhs = False  # a collection of ids, not one value of the column

    def __init__(self, lhs: Any, rhs: Iterable[int]) -> None:
        super().__init__(lhs, [int(value) for value in rhs])

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*params, self.rhs]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*params, json.dumps(self.rhs)]
