import hashlib

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.views import LoginView, PasswordResetView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common.cache import cache_count_hit
from common.exceptions import ApplicationError
from common.http import redirect_back

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
    """Django's reset-by-email, at most ``KF_PASSWORD_RESET_MAILS`` mails an hour per address.

    The page answers the same whether or not the address has an account, or
    the limit was reached, so it reveals neither; the limit keeps it from
    being used to flood someone's inbox.
    """

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        key = "pwreset:" + hashlib.sha256(email.encode()).hexdigest()
        if cache_count_hit(key, window_seconds=3600) > settings.KF_PASSWORD_RESET_MAILS:
            return redirect(self.get_success_url())
        return super().form_valid(form)


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
