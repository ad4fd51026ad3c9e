"""Studio forms: validate what a creator typed; services apply the rules."""

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from courses.models import Category, Course, MediaAsset


def _choices(form: forms.Form, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


CURRENCIES = [("CNY", "CNY ¥"), ("USD", "USD $"), ("EUR", "EUR €"), ("HKD", "HKD HK$")]


class CreatorForm(forms.Form):
    handle = forms.SlugField(
        label=_("Handle"), max_length=40, help_text=_("Letters, digits, - and _.")
    )
    bio = forms.CharField(
        label=_("Bio"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=2000
    )
    avatar = forms.FileField(label=_("Avatar (JPEG, PNG or WebP)"), required=False)


class VideoForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    tags = forms.CharField(label=_("Tags, comma separated"), required=False, max_length=300)
    course = forms.ModelChoiceField(
        label=_("Call to action: course"), queryset=Course.objects.none(), required=False
    )

    def __init__(self, *args: Any, creator_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "course").queryset = Course.objects.filter(creator_id=creator_id)


class VideoCreateForm(VideoForm):
    asset = forms.ModelChoiceField(
        label=_("Uploaded video"),
        queryset=MediaAsset.objects.none(),
        widget=forms.HiddenInput,
        error_messages={"required": _("Upload the video first.")},
    )

    def __init__(self, *args: Any, creator_id: int, **kwargs: Any) -> None:
        super().__init__(*args, creator_id=creator_id, **kwargs)
        _choices(self, "asset").queryset = MediaAsset.objects.filter(
            owner_id=creator_id, is_private=False
        )


class CourseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)
    description = forms.CharField(
        label=_("Description (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=20000,
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    tags = forms.CharField(label=_("Tags, comma separated"), required=False, max_length=300)
    price = forms.DecimalField(
        label=_("Price"),
        min_value=Decimal(0),
        max_value=Decimal(100000),
        decimal_places=2,
        initial=0,
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="CNY")
    cover = forms.FileField(label=_("Cover image (JPEG, PNG or WebP)"), required=False)


class TitleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)


class AssetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"#{obj.pk} · {obj.get_status_display()} · {obj.duration_seconds:.0f}s"


class LessonForm(forms.Form):
    title = forms.CharField(label=_("Lesson title"), max_length=120)
    is_preview = forms.BooleanField(label=_("Free preview"), required=False)
    asset = AssetChoiceField(label=_("Video"), queryset=MediaAsset.objects.none(), required=False)

    def __init__(self, *args: Any, creator_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = _choices(self, "asset")
        field.queryset = (
            MediaAsset.objects.filter(owner_id=creator_id, is_private=True)
            .exclude(status=MediaAsset.Status.FAILED)
            .order_by("-created_at")
        )


class PublishForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=_("Publish at (UTC; empty = now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
