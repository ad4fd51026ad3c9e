import hashlib
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate, login
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.contrib.auth.views import (
    LoginView,
    PasswordChangeView,
    PasswordResetConfirmView,
    PasswordResetView,
)
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from common.cache import cache_count_hit
from common.exceptions import ApplicationError
from common.http import client_ip, redirect_back

from .forms import SignupForm
from .services import session_started, user_create

# The cookie analytics keys logged-out browsers by (analytics/api/views.py).
ANONYMOUS_COOKIE = "kf_anon"


class KfLoginView(LoginView):
    """Django's login, plus the login event and the anonymous-history merge."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        anonymous_id = self.request.COOKIES.get(ANONYMOUS_COOKIE, "")
        session_started(user_id=form.get_user().pk, anonymous_id=anonymous_id)
        return response


class KfPasswordResetView(PasswordResetView):
    """Django's reset-by-email, at most ``ACCOUNTS_PASSWORD_RESET_MAILS`` mails an hour per address.

    The page answers the same whether or not the address has an account, or
    the limit was reached, so it reveals neither; the limit keeps it from
    being used to flood someone's inbox.
    """

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        key = "pwreset:" + hashlib.sha256(email.encode()).hexdigest()
        by_address = "pwreset-ip:" + str(client_ip(self.request))
        if (
            cache_count_hit(key, window_seconds=3600) > settings.ACCOUNTS_PASSWORD_RESET_MAILS
            or cache_count_hit(by_address, window_seconds=3600)
            > settings.ACCOUNTS_PASSWORD_RESET_REQUESTS_PER_IP
        ):
            return redirect(self.get_success_url())
        return super().form_valid(form)


class KfPasswordResetConfirmView(PasswordResetConfirmView):
    """Django's new-password-by-link; the new password also lifts any log-in lock-out
    on the account (django-axes), which is the self-service unlock."""

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """The old password is checked by ``authenticate`` with the request, so django-axes
    counts a wrong one like a failed log-in, and refuses even the right one while
    the account is locked out from this address (the middleware then answers 429)."""

    def __init__(self, user: Any, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        found = authenticate(self.request, username=self.user.get_username(), password=old_password)
        if found is None or found.pk != self.user.pk:
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return str(old_password)


class KfPasswordChangeView(PasswordChangeView):
    form_class = ThrottledPasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What django-axes answers while an account is locked out from this address:
    429, how long, and the way out (``AXES_LOCKOUT_CALLABLE``)."""
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    context = {"minutes": max(1, seconds // 60), "title": _("Too many failed log-ins")}
    response = render(request, "accounts/locked_out.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def signup(request: HttpRequest) -> HttpResponse:
    """Create an account and log in; invalid input shows form errors."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
            )
        except (ApplicationError, ValidationError) as exc:  # a twin request got there first
            form.add_error(None, exc.message if isinstance(exc, ApplicationError) else exc.messages)
            return render(request, "accounts/signup.html", {"form": form})
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        session_started(user_id=user.pk, anonymous_id=request.COOKIES.get(ANONYMOUS_COOKIE, ""))
        return redirect_back(request, request.GET.get("next", ""), "home")
    return render(request, "accounts/signup.html", {"form": form})
