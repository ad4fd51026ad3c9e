"""Endpoints for load balancers and Prometheus, not for people (docs/operations.md).

``/healthz``: liveness, the process answers (no dependency is touched, so a
database outage never gets every web process restarted). ``/readyz``:
readiness with JSON detail per part, 503 only when this node cannot serve
(the database). ``/metrics``: Prometheus text, only with the bearer token
(deploy/nginx.conf also refuses it from outside).
"""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import readiness
from .metrics import metrics_exposition

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    result = readiness()
    body = {
        "status": result.status,
        "checks": {
            name: {"ok": check.ok, "detail": check.detail, **check.data}
            for name, check in result.checks.items()
        },
    }
    return JsonResponse(body, status=result.http_status)


def _token_ok(request: HttpRequest) -> bool:
    expected = f"Bearer {settings.KF_METRICS_TOKEN}"
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), expected.encode())


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not settings.KF_METRICS_TOKEN and not settings.DEBUG:
        return JsonResponse(
            {"code": "not_found", "message": "Metrics are off: set KF_METRICS_TOKEN.", "extra": {}},
            status=404,
        )
    if settings.KF_METRICS_TOKEN and not _token_ok(request):
        response = JsonResponse(
            {"code": "not_authenticated", "message": "Send the metrics token.", "extra": {}},
            status=401,
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_exposition(), content_type=PROMETHEUS_CONTENT_TYPE)
