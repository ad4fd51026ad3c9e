"""The public creator page: ``/@<handle>/`` with the creator's courses and videos."""

from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.selectors import creator_profile_get, follow_exists
from common.api.auth import user_id_or_none
from common.converters import ascii_int
from common.strings import page_strings

from .selectors import course_list_published, video_list_published

TABS = ("videos", "courses")
PAGE_SIZE = 24  # one tab's page
PREVIEW = {"videos": 12, "courses": 6}  # each list's share of the overview


def creator_detail(request: HttpRequest, handle: str) -> HttpResponse:
    """The overview (the newest of both lists), or one list a page at a time.

    ``?tab=videos|courses&page=N``: a missing or non-numeric page is page 1,
    a page past the end is a 404; an unknown tab is the overview.
    """
    profile = creator_profile_get(handle=handle)
    if profile is None:
        raise Http404("No such creator.")
    tab = request.GET.get("tab", "")
    tab = tab if tab in TABS else ""
    lists = {
        "videos": video_list_published(creator_id=profile.user_id),
        "courses": course_list_published(creator_id=profile.user_id),
    }
    pages: dict[str, Page] = {}
    counts: dict[str, int] = {}
    for name, queryset in lists.items():
        if not tab:
            pages[name] = Paginator(queryset, PREVIEW[name]).page(1)
        elif name == tab:
            pages[name] = _page_or_404(Paginator(queryset, PAGE_SIZE), request.GET.get("page"))
        counts[name] = pages[name].paginator.count if name in pages else queryset.count()
    user_id = user_id_or_none(request)
    show_follow = user_id is not None and user_id != profile.user_id
    context: dict[str, Any] = {
        "profile": profile,
        "creator": profile.user,
        "tab": tab,
        "videos": pages.get("videos"),
        "courses": pages.get("courses"),
        "page_obj": pages.get(tab),
        "counts": counts,
        "show_follow": show_follow,
        "following": show_follow and follow_exists(follower_id=user_id, creator_id=profile.user_id),
        "strings": page_strings(),
    }
    return render(request, "courses/creator_detail.html", context)


def _page_or_404(paginator: Paginator, number: str | None) -> Page:
    """Page ``number``; missing, zero or not a number is page 1, past the end a 404."""
    try:
        return paginator.page(ascii_int(number) or 1)
    except EmptyPage as exc:
        raise Http404("No such page.") from exc
