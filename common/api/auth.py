"""The requester's id, typed, for views behind a login requirement."""

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
