"""Where an event came from: platform, device, app version, channel, UTM and referrer.

``EventContextMiddleware`` (analytics.middleware) works the context out once per
request and keeps it in a context variable; ``analytics.services`` stores it on
every event recorded during that request, so callers pass nothing. The
channel comes from the *landing* request of a visit (its UTM parameters or
external referrer), remembered in the ``kf_landing`` cookie for later requests.
New vs returning is not guessed here: the rollups derive it from the subject's
history (docs/metrics.md §Breakdowns).

.. no_pii: only coarse classes and domains; never a full URL, an IP or a user agent.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

_current: ContextVar[dict[str, str] | None] = ContextVar("kf_event_context", default=None)

PLATFORMS = ("web", "mobile_web", "app")
CHANNELS = ("direct", "search", "social", "email", "paid", "referral", "app")
APP_VERSION_HEADER = "HTTP_X_KF_APP_VERSION"
APP_UA = re.compile(r"\bKFApp/([0-9][0-9A-Za-z.\-]{0,31})")
MOBILE_UA = re.compile(r"Mobi|Android|iPhone|iPod|HarmonyOS", re.I)
TABLET_UA = re.compile(r"iPad|Tablet|Android(?!.*Mobile)", re.I)
APP_VERSION = re.compile(r"^[0-9][0-9A-Za-z.\-]{0,31}$")
SEARCH_DOMAINS = ("google.", "baidu.", "bing.", "sogou.", "so.com", "duckduckgo.", "yandex.")
SOCIAL_DOMAINS = (
    "weixin.",
    "wechat.",
    "weibo.",
    "douyin.",
    "xiaohongshu.",
    "bilibili.",
    "zhihu.",
    "facebook.",
    "instagram.",
    "twitter.",
    "x.com",
    "t.co",
    "tiktok.",
    "youtube.",
    "linkedin.",
)
PAID_MEDIUMS = {"cpc", "ppc", "paid", "paidsearch", "paid_social", "display", "cpm"}
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")
MAX_VALUE = 64


def context_current() -> dict[str, str]:
    """The context of the request being served (empty outside one: tasks, commands)."""
    return dict(_current.get() or {})


def context_set(context: dict[str, str] | None) -> Any:
    """Make ``context`` current; returns the token ``context_reset`` needs."""
    return _current.set(context)


def context_reset(token: Any) -> None:
    _current.reset(token)


def _clip(value: str) -> str:
    return value.strip().lower()[:MAX_VALUE]


def platform_of(user_agent: str, app_version: str) -> tuple[str, str]:
    """(platform, device class) from the user agent and the app's version header."""
    device = (
        "tablet"
        if TABLET_UA.search(user_agent)
        else "mobile"
        if MOBILE_UA.search(user_agent)
        else "desktop"
    )
    if app_version:
        return "app", device
    return ("mobile_web" if device != "desktop" else "web"), device


def referrer_domain(referrer: str, own_host: str) -> str:
    """The referring site's host without ``www.``; empty when missing or our own site."""
    try:
        host = (urlsplit(referrer).hostname or "").lower()
    except ValueError:
        return ""
    host = host.removeprefix("www.")
    own = own_host.split(":")[0].lower().removeprefix("www.")
    return "" if not host or host == own else host[:MAX_VALUE]


def channel_of(utm: dict[str, str], referrer: str) -> str:
    """The acquisition channel, from UTM first (the marketer said so), else the referrer."""
    medium, source = utm.get("utm_medium", ""), utm.get("utm_source", "")
    if medium in PAID_MEDIUMS:
        return "paid"
    if medium == "email" or source == "email":
        return "email"
    if medium == "social" or any(source.startswith(d.rstrip(".")) for d in SOCIAL_DOMAINS):
        return "social"
    if medium == "organic" or any(source.startswith(d.rstrip(".")) for d in SEARCH_DOMAINS):
        return "search"
    host = referrer or source
    if any(d in host for d in SEARCH_DOMAINS):
        return "search"
    if any(host == d or host.startswith(d) or f".{d}" in host for d in SOCIAL_DOMAINS):
        return "social"
    if source or referrer:
        return "referral"
    return "direct"


def landing_of(query: str, referrer: str, own_host: str) -> dict[str, str]:
    """What a landing request says about acquisition: UTM values and the referring domain."""
    params = parse_qs(query, keep_blank_values=False)
    landing = {key: _clip(params[key][0]) for key in UTM_KEYS if params.get(key)}
    domain = referrer_domain(referrer, own_host)
    if domain:
        landing["referrer"] = domain
    return landing


def landing_cookie(landing: dict[str, str]) -> str:
    return urlencode(landing)


def landing_from_cookie(value: str) -> dict[str, str]:
    params = parse_qs(value or "")
    keys = (*UTM_KEYS, "referrer")
    return {key: _clip(params[key][0]) for key in keys if params.get(key)}


def context_build(*, user_agent: str, app_version: str, landing: dict[str, str]) -> dict[str, str]:
    """The context stored on events: every key always present, values short and coarse."""
    version = app_version if APP_VERSION.match(app_version or "") else ""
    match = APP_UA.search(user_agent or "")
    if not version and match:
        version = match.group(1)
    platform, device = platform_of(user_agent or "", version)
    utm = {key: landing[key] for key in UTM_KEYS if landing.get(key)}
    referrer = landing.get("referrer", "")
    channel = channel_of(utm, referrer)
    if platform == "app" and channel == "direct":
        channel = "app"
    return {
        "platform": platform,
        "device": device,
        "app_version": version,
        "channel": channel,
        "utm_source": utm.get("utm_source", ""),
        "utm_medium": utm.get("utm_medium", ""),
        "utm_campaign": utm.get("utm_campaign", ""),
        "referrer": referrer,
    }
