"""schemathesis over every operation of the OpenAPI schema (issue 12, item 5).

The schema the site serves (``/api/schema/``) drives generated requests to the
WSGI app in this process (session cookie plus CSRF token, as a page sends them).
Any 5xx, or a response whose body disagrees with the schema for its status,
fails the run. Two phases, each over every operation:

* fuzzing, as a viewer, a creator and staff: random valid and invalid requests,
  bounded (``KF_SCHEMATHESIS_EXAMPLES``, default 15 per operation and role) and
  derandomised, so the run is repeatable and fits CI's budget; set it higher
  for a deeper, slower search;
* coverage (the schema's boundary and invalid values, every one of them, about
  nine in ten of the requests), once per operation, as a staff member who is
  also a creator, so that every operation's input checks are reached past its
  permission check. The role only decides who may call; the same serializers
  read the input whoever calls, so three roles would send the same values three
  times (docs/decisions.md, "The schemathesis bound").

The figures are in docs/security.md.
"""

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import response_schema_conformance

from courses.services import enrollment_grant
from tests.conftest import rows_kept_for_the_scope
from tests.factories import (
    CreatorProfileFactory,
    LessonFactory,
    ShortVideoFactory,
    UserFactory,
)

EXAMPLES = int(os.environ.get("KF_SCHEMATHESIS_EXAMPLES", "15"))
CSRF_SECRET = "kfSchemathesisCsrfSecret00000000"  # 32 characters, as Django's secrets are
ROLES = ("viewer", "creator", "staff")


_django = WSGIHandler()


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Django's WSGI handler, minus the connection closing at each request's end,
    as Django's own test client does: requests run inside the test's transaction."""
    request_started.disconnect(close_old_connections)
    try:
        response = _django(environ, start_response)
        body = b"".join(response)
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)
    finally:
        request_started.connect(close_old_connections)
    return [body]


def _served_schema(*phases_on: str) -> Any:
    """The schema exactly as served (no database is touched to serve it), with these phases."""
    every = ("examples", "coverage", "fuzzing", "stateful")
    phases = {name: {"enabled": name in phases_on} for name in every}
    config = SchemathesisConfig.from_dict({"phases": phases})
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app, config=config)


fuzzed = _served_schema("examples", "fuzzing")  # examples: those the schema gives, if any
covered = _served_schema("coverage")


pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def sessions(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, dict[str, str]]]:
    """Logged-in cookies per role, over a little of everything, so that generated
    ids sometimes name real rows. Made once per module (each test's writes are rolled
    back to these rows), not per operation: 184 set-ups were a fifth of the file's time."""
    yield from rows_kept_for_the_scope(django_db_blocker, _log_in_every_role)


def _log_in_every_role() -> dict[str, dict[str, str]]:
    creator = CreatorProfileFactory.create().user
    lesson = LessonFactory.create(section__course__creator=creator, is_preview=True)
    ShortVideoFactory.create(creator=creator, course=lesson.course)
    viewer = UserFactory.create()
    enrollment_grant(user_id=viewer.pk, course=lesson.course)
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    staff_creator = CreatorProfileFactory.create(user__is_staff=True, user__is_superuser=True).user
    cookies = {}
    users = {"viewer": viewer, "creator": creator, "staff": staff, "staff_creator": staff_creator}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        cookies[role] = {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF_SECRET}
    return cookies


def _call_and_validate(case: Any, cookies: dict[str, str]) -> None:
    case.call_and_validate(
        cookies=cookies,
        headers={"X-CSRFToken": CSRF_SECRET, "Host": "localhost"},
        checks=[not_a_server_error, response_schema_conformance],
    )


@pytest.mark.parametrize("role", ROLES)
@fuzzed.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_5xx_and_every_answer_matches_the_schema(
    case: Any, role: str, sessions: dict[str, dict[str, str]]
) -> None:
    _call_and_validate(case, sessions[role])


@covered.parametrize()
@settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_5xx_on_the_schemas_boundary_and_invalid_values(
    case: Any, sessions: dict[str, dict[str, str]]
) -> None:
    _call_and_validate(case, sessions["staff_creator"])
