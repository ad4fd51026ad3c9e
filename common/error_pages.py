"""Error answers outside DRF views: JSON under /api/, Django's pages elsewhere.

A request that never reaches an API view (an unknown /api/ URL, a body the
middleware refuses) still gets the API's error shape,
``{"code", "message", "extra"}``, so a client has one thing to parse.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "extra": {}}, status=status)


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 in the caller's language: JSON for the API, plain text elsewhere."""
    if is_api(request):
        return api_error(400, "invalid", message)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return api_error(400, "bad_request", "Bad request.")
    return defaults.bad_request(request, exception)


def handler403(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return api_error(403, "permission_denied", "Forbidden.")
    return defaults.permission_denied(request, exception)


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return api_error(404, "not_found", "No such endpoint or object.")
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return api_error(500, "server_error", "Server error; it has been logged.")
    return defaults.server_error(request)
