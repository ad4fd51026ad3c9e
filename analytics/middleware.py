"""Captures where each request comes from, for the events recorded while serving it."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .context import (
    APP_VERSION_HEADER,
    context_build,
    context_reset,
    context_set,
    landing_cookie,
    landing_from_cookie,
    landing_of,
)

LANDING_COOKIE = "kf_landing"
LANDING_MAX_AGE = (
    30 * 24 * 3600
)  # a visit's channel counts for 30 days, like common last-click tools


class EventContextMiddleware:
    """Work out the event context once per request (analytics.context); no event is written here.

    A request carrying UTM parameters or an external referrer starts a new
    landing: it is remembered in the ``kf_landing`` cookie (only then is the
    cookie set), so the channel stays with the visit's later pages and API calls.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        fresh = landing_of(
            request.META.get("QUERY_STRING", ""),
            request.META.get("HTTP_REFERER", ""),
            request.META.get("HTTP_HOST", ""),
        )
        landing = fresh or landing_from_cookie(request.COOKIES.get(LANDING_COOKIE, ""))
        context = context_build(
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            app_version=request.META.get(APP_VERSION_HEADER, ""),
            landing=landing,
        )
        token = context_set(context)
        try:
            response = self.get_response(request)
        finally:
            context_reset(token)
        if fresh:
            response.set_cookie(
                LANDING_COOKIE,
                landing_cookie(fresh),
                max_age=LANDING_MAX_AGE,
                samesite="Lax",
                httponly=True,
                secure=request.is_secure(),
            )
        return response
