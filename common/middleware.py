"""Refuse input no part of the app can store: NUL characters.

PostgreSQL rejects NUL in text, which would surface as a 500 deep inside a
query; one answer here covers every view, form and API.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


class RejectNullCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return HttpResponseBadRequest("Null characters are not allowed.")
        is_form = request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
        if request.method == "POST" and is_form and any("\x00" in v for v in request.POST.values()):
            return HttpResponseBadRequest("Null characters are not allowed.")
        return self.get_response(request)
