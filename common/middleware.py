"""Refuse input no part of the app can store or parse, before any view runs.

PostgreSQL rejects NUL in text, which would surface as a 500 deep inside a
query; one answer here covers every view and form (JSON bodies are checked
by ``common.api.parsers.StrictJSONParser``). A multipart body without a
valid boundary is refused here too, where it is first parsed.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError

from common.error_pages import bad_request

NULLS_REFUSED = "Null characters are not allowed."
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RejectNullCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return bad_request(request, NULLS_REFUSED)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            try:
                values = list(request.POST.values())
            except MultiPartParserError:
                return bad_request(request, "Malformed multipart body.")
            if any("\x00" in value for value in values):
                return bad_request(request, NULLS_REFUSED)
        return self.get_response(request)
