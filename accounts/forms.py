from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from .models import User
from .services import username_is_reserved


class SignupForm(UserCreationForm):
    """Username, email and password twice; errors shown beside each field."""

    email = forms.EmailField(label=_("Email"), max_length=254)

    class Meta:
        model = User
        fields = ("username", "email")

    def clean_username(self) -> str:
        username = super().clean_username()
        if username_is_reserved(username):
            raise forms.ValidationError(_("That username is reserved."))
        return username

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists."))
        return email
