"""`make test` runs with `--dist loadgroup`: tests marked ``xdist_group`` share a worker.

The production stack, the vision models and the many-connection tests rely on it (one stack
built, one model load, one worker's connections). pytest-xdist marks a grouped test by
suffixing its node id with ``@group``; a pytest that does not let it do so (9.2, with
xdist 3.8) spreads every group silently, which this test catches.
"""

import pytest

pytestmark = pytest.mark.xdist_group("probe")


def test_a_grouped_test_carries_its_group_when_the_run_is_distributed_by_group(
    request: pytest.FixtureRequest,
) -> None:
    distributed_by_group = bool(getattr(request.config.option, "loadgroup", False))
    assert request.node.nodeid.endswith("@probe") == distributed_by_group
