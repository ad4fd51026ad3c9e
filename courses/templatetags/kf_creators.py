"""Creator names that link to their page: ``{% creator_link video.creator "@" %}``.

The profile is read from the user row's cache: list selectors
``select_related("creator__creator_profile")``, so a card costs no query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from courses.selectors import creator_page_url

if TYPE_CHECKING:
    from accounts.models import User  # a type only: the tags take the row a list selected

register = template.Library()


@register.simple_tag
def creator_url(user: User | None) -> str:
    """The creator page of ``user``, or "" without a profile or an active account."""
    return creator_page_url(user) or ""


@register.simple_tag
def creator_link(user: User, prefix: str = "") -> SafeString:
    """``user``'s public name, as a link to their page where they have one."""
    url = creator_url(user)
    if not url:
        return format_html("{}{}", prefix, user.public_name)
    return format_html('<a class="creator-link" href="{}">{}{}</a>', url, prefix, user.public_name)
