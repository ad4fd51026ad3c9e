from typing import Any

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from . import views

app_name = "accounts"

StrOrPromise = str | Promise
FORM, MESSAGE = "accounts/form.html", "accounts/message.html"


def _message_page(
    view: type[TemplateView], title: StrOrPromise, message: StrOrPromise, **more: object
) -> Any:
    """One of the password flow's "done" pages: a title and a sentence."""
    return view.as_view(
        template_name=MESSAGE, extra_context={"title": title, "message": message, **more}
    )


urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.KfLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/change/",
        views.KfPasswordChangeView.as_view(
            template_name=FORM,
            success_url=reverse_lazy("accounts:password_change_done"),
            extra_context={"title": _("Change your password"), "submit": _("Change password")},
        ),
        name="password_change",
    ),
    path(
        "password/change/done/",
        _message_page(
            auth_views.PasswordChangeDoneView,
            _("Password changed"),
            _("Your password was changed. You stay logged in here."),
        ),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        views.KfPasswordResetView.as_view(
            template_name=FORM,
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
            extra_context={
                "title": _("Reset your password"),
                "intro": _(
                    "Enter the email address of your account: we send you a link to choose a new password."
                ),
                "submit": _("Send the link"),
            },
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        _message_page(
            auth_views.PasswordResetDoneView,
            _("Check your email"),
            _(
                "If an account uses that address, a link to choose a new password is on its "
                "way. It works once, for three days."
            ),
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        views.KfPasswordResetConfirmView.as_view(
            template_name=FORM,
            success_url=reverse_lazy("accounts:password_reset_complete"),
            extra_context={
                "title": _("Choose a new password"),
                "submit": _("Save the new password"),
                "invalid": _(
                    "This link is not valid any more: it was used already or it expired. "
                    "Ask for a new one."
                ),
            },
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        _message_page(
            auth_views.PasswordResetCompleteView,
            _("Password saved"),
            _("Your new password is saved: you can log in with it now."),
            login_link=True,
        ),
        name="password_reset_complete",
    ),
]
