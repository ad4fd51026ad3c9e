"""The requester's id: the one helper every view and API uses.

Two functions, one contract:

* ``user_id_of`` is for code behind a login check (``login_required``,
  ``IsAuthenticated``). An anonymous request never gets a made-up id (no 0):
  it raises DRF's ``NotAuthenticated``, which the API answers with the error
  shape (``{"code": "not_authenticated"}``, 401 or 403).
* ``user_id_or_none`` is for pages anonymous visitors see too: None for them.
"""

from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request


def user_id_of(request: HttpRequest | Request) -> int:
    """The logged-in user's id; raises NotAuthenticated (401/403) for anyone else."""
    pk = request.user.pk
    if pk is None:
        raise NotAuthenticated()
    return int(pk)


def user_id_or_none(request: HttpRequest | Request) -> int | None:
    """The logged-in user's id, or None for an anonymous visitor."""
    pk = request.user.pk
    return int(pk) if pk is not None else None
