"""The viewer's pages, combining apps: home, the feed, My space, the inbox, their data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.selectors import (
    INBOX_SIZE,
    creators_followed,
    notification_list,
    notification_unread_count,
)
from accounts.services import notification_open, notifications_mark_read, preferences_update
from common.api.auth import user_id_or_none
from common.cache import cache_count_hit
from common.exceptions import ApplicationError
from common.strings import page_strings
from courses.selectors import (
    continue_learning,
    course_list_published,
    course_progress,
    favorite_videos,
    liked_videos,
    purchased_courses,
    tag_choices,
    video_list_published,
    watch_history,
)
from courses.services import watch_history_clear

from .inbox import notification_items
from .privacy import account_delete, account_delete_blockers, export_filename, export_stream

FEED_TABS = ("for_you", "following", "trending")

if TYPE_CHECKING:
    from accounts.models import User


def home(request: HttpRequest) -> HttpResponse:
    user_id = user_id_or_none(request)
    context = {
        "videos": video_list_published()[:24],
        "courses": course_list_published()[:12],
        "learning": continue_learning(user_id=user_id) if user_id else [],
    }
    return render(request, "me/home.html", context)


def feed(request: HttpRequest) -> HttpResponse:
    """The vertical feed; videos arrive from the API as the viewer scrolls."""
    tab = request.GET.get("tab", "for_you")
    context = {"tab": tab if tab in FEED_TABS else "for_you", "strings": page_strings()}
    return render(request, "me/feed.html", context)


class PreferencesForm(forms.Form):
    is_personalization_enabled = forms.BooleanField(
        required=False, label=gettext_lazy("Personalised recommendations")
    )
    interests = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Interests")
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["interests"].choices = tag_choices()  # type: ignore[attr-defined]


@login_required
def me(request: HttpRequest) -> HttpResponse:
    """My space: likes, favourites, history, purchases, follows and preferences."""
    user: User = request.user  # type: ignore[assignment]
    form = PreferencesForm(
        request.POST or None,
        initial={
            "is_personalization_enabled": user.is_personalization_enabled,
            "interests": user.interests,
        },
    )
    if request.method == "POST" and request.POST.get("action") == "clear_history":
        watch_history_clear(user_id=user.pk)
        messages.success(request, _("Watch history cleared."))
        return redirect("me")
    if request.method == "POST" and form.is_valid():
        preferences_update(user=user, **form.cleaned_data)
        messages.success(request, _("Preferences saved."))
        return redirect("me")
    context = {
        "form": form,
        "liked": liked_videos(user_id=user.pk)[:24],
        "favorites": favorite_videos(user_id=user.pk)[:24],
        "history": watch_history(user_id=user.pk)[:24],
        "purchases": course_progress(
            user_id=user.pk, courses=list(purchased_courses(user_id=user.pk)[:24])
        ),
        "following": creators_followed(user_id=user.pk),
        "unread_notifications": notification_unread_count(user_id=user.pk),
    }
    return render(request, "me/space.html", context)


@login_required
def me_notifications(request: HttpRequest) -> HttpResponse:
    """The newest notifications; reading the page marks nothing, the button marks all."""
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        notifications_mark_read(user_id=user.pk)
        messages.success(request, _("All notifications marked as read."))
        return redirect("me-notifications")
    notifications = list(notification_list(user_id=user.pk)[:INBOX_SIZE])
    items = notification_items(notifications)
    context = {
        "items": items,
        "has_unread": any(item.is_unread for item in items),
        # warms the header's cached count, which never queries by itself
        "unread_count": notification_unread_count(user_id=user.pk),
    }
    return render(request, "me/notifications.html", context)


@login_required
def me_notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one of the viewer's notifications read and go to what it is about."""
    user: User = request.user  # type: ignore[assignment]
    notification = notification_open(user_id=user.pk, notification_id=notification_id)
    if notification is None:
        raise Http404("No such notification.")
    url = notification_items([notification])[0].url
    return redirect(url or "me-notifications")


def export_response(user: User) -> StreamingHttpResponse:
    """The user's data as a JSON file download, streamed as it is read."""
    response = StreamingHttpResponse(
        export_stream(user_id=user.pk), content_type="application/json; charset=utf-8"
    )
    filename = export_filename(username=user.username)
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    response["Cache-Control"] = "no-store"
    return response


@login_required
def me_export(request: HttpRequest) -> StreamingHttpResponse:
    """Download everything kept about the viewer (My space → Your data)."""
    return export_response(request.user)  # type: ignore[arg-type]


DELETE_ACCOUNT_TRIES = 5  # password attempts an hour on the delete form


class AccountDeleteForm(forms.Form):
    """Re-authentication: deleting an account asks for its password again."""

    password = forms.CharField(
        label=gettext_lazy("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        # A borrowed session must not be a way to guess the password.
        tries = cache_count_hit(f"delete-account-tries:{self.user.pk}", window_seconds=3600)
        if tries > DELETE_ACCOUNT_TRIES:
            raise forms.ValidationError(
                _("Too many tries: wait an hour, or reset your password."), code="too_many_tries"
            )
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your password."), code="password_incorrect")
        return password


@login_required
def me_delete(request: HttpRequest) -> HttpResponse:
    """Explain what deleting the account removes and keeps; delete on the password."""
    user: User = request.user  # type: ignore[assignment]
    blockers = account_delete_blockers(user_id=user.pk)
    form = AccountDeleteForm(request.POST or None, user=user)
    if request.method == "POST" and not blockers and form.is_valid():
        try:
            account_delete(user_id=user.pk)
        except ApplicationError as error:  # became blocked since the page loaded
            blockers = error.extra.get("reasons", [error.message])
        else:
            logout(request)
            messages.success(
                request,
                _(
                    "Your account is deleted and you are logged out. Thank you for learning with us."
                ),
            )
            return redirect("home")
    return render(request, "me/delete.html", {"form": form, "blockers": blockers})
