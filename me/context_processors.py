"""Template context every page gets."""

from typing import Any

from django.http import HttpRequest

from accounts.selectors import notification_unread_count_cached


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The header's unread count: nothing for anonymous visitors, one cache
    read (never a query) for members; None when not cached, and the header
    then shows the link without a number."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": notification_unread_count_cached(user_id=user.pk)}
