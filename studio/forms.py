"""Studio forms: validate what a creator typed; services apply the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from commerce.services import CouponKind
from common.money import decimal_to_minor
from courses.selectors import (
    category_list,
    course_choices_for_creator,
    short_video_assets_for_owner,
)
from courses.services import CaptionsLanguage

from .selectors import asset_picker_label, lesson_assets_own

if TYPE_CHECKING:
    from courses.models import Course, MediaAsset


def _choices(form: forms.Form, name: str) -> forms.ModelChoiceField:
    """A choice field whose rows depend on the creator: declared without a queryset,
    given one (from a selector) in the form's ``__init__``."""
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
    category = forms.ModelChoiceField(label=_("Category"), queryset=category_list())
    tags = forms.CharField(label=_("Tags, comma separated"), required=False, max_length=300)
    course: forms.ModelChoiceField[Course] = forms.ModelChoiceField(
        label=_("Call to action: course"), queryset=None, required=False
    )

    def __init__(self, *args: Any, creator_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "course").queryset = course_choices_for_creator(creator_id=creator_id)


class VideoCreateForm(VideoForm):
    asset: forms.ModelChoiceField[MediaAsset] = forms.ModelChoiceField(
        label=_("Uploaded video"),
        queryset=None,
        widget=forms.HiddenInput,
        error_messages={"required": _("Upload the video first.")},
    )

    def __init__(self, *args: Any, creator_id: int, **kwargs: Any) -> None:
        super().__init__(*args, creator_id=creator_id, **kwargs)
        _choices(self, "asset").queryset = short_video_assets_for_owner(owner_id=creator_id)


class CourseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)
    description = forms.CharField(
        label=_("Description (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=20000,
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=category_list())
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
        return asset_picker_label(obj)


class LessonForm(forms.Form):
    title = forms.CharField(label=_("Lesson title"), max_length=120)
    is_preview = forms.BooleanField(label=_("Free preview"), required=False)
    asset = AssetChoiceField(label=_("Video"), queryset=None, required=False)

    def __init__(self, *args: Any, creator_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "asset").queryset = lesson_assets_own(owner_id=creator_id)


# A browser's date-and-time picker, and the formats it and people send.
DATETIME_INPUT: dict[str, Any] = {
    "widget": forms.DateTimeInput(attrs={"type": "datetime-local"}),
    "input_formats": ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
}


class PublishForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=_("Publish at (UTC; empty = now)"), required=False, **DATETIME_INPUT
    )


class CouponForm(forms.Form):
    """A discount code. The amount is a percentage or money in the course's
    currency (CNY for "all my courses"), as people write it: 20 or 9.90."""

    code = forms.CharField(label=_("Code (empty: a random one)"), max_length=32, required=False)
    course: forms.ModelChoiceField[Course] = forms.ModelChoiceField(
        label=_("Course"),
        queryset=None,
        required=False,
        empty_label=_("All my courses"),
    )
    kind = forms.ChoiceField(label=_("Discount"), choices=CouponKind.choices)
    amount = forms.DecimalField(
        label=_("Amount (percent, or money off)"),
        min_value=Decimal("0.01"),
        max_value=Decimal(100000),
        decimal_places=2,
    )
    max_redemptions = forms.IntegerField(
        label=_("Uses in all (empty: no limit)"), min_value=1, max_value=1_000_000, required=False
    )
    per_user_limit = forms.IntegerField(
        label=_("Uses per buyer"), min_value=1, max_value=100, initial=1
    )
    valid_from = forms.DateTimeField(label=_("Valid from (UTC)"), required=False, **DATETIME_INPUT)
    valid_until = forms.DateTimeField(
        label=_("Valid until (UTC)"), required=False, **DATETIME_INPUT
    )
    min_charge = forms.DecimalField(
        label=_("Lowest price after the discount"),
        min_value=Decimal(0),
        max_value=Decimal(100000),
        decimal_places=2,
        initial=0,
    )

    def __init__(self, *args: Any, creator_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = _choices(self, "course")
        field.queryset = course_choices_for_creator(creator_id=creator_id).order_by("-pk")

    def coupon_fields(self) -> dict[str, Any]:
        """The valid form as ``coupon_create`` takes it: money in minor units of the
        course's currency (CNY for all courses), a percentage as a whole number."""
        data = self.cleaned_data
        course = data["course"]
        currency = course.currency if course else "CNY"
        amount: Decimal = data["amount"]
        percent = data["kind"] == CouponKind.PERCENT
        return {
            "code": data["code"],
            "course": course,
            "kind": data["kind"],
            "value": int(amount) if percent else decimal_to_minor(amount, currency),
            "currency": currency,
            "max_redemptions": data["max_redemptions"],
            "per_user_limit": data["per_user_limit"],
            "valid_from": data["valid_from"],
            "valid_until": data["valid_until"],
            "min_charge_minor": decimal_to_minor(data["min_charge"], currency),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amount = data.get("amount")
        if data.get("kind") == CouponKind.PERCENT and amount is not None and amount % 1:
            self.add_error("amount", _("A percentage is a whole number, e.g. 20."))
        return data


class RefundRuleForm(forms.Form):
    days = forms.IntegerField(label=_("Refundable for (days after buying)"), min_value=0)
    max_watched_percent = forms.IntegerField(
        label=_("…while under this share watched (%)"), min_value=0, max_value=100
    )


class CaptionsForm(forms.Form):
    """A WebVTT file to attach, or ``remove`` to take the subtitles off."""

    file = forms.FileField(label=_("Subtitles (WebVTT, .vtt)"), required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=CaptionsLanguage.choices, initial=CaptionsLanguage.ZH_HANS
    )
    remove = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("remove") and not data.get("file"):
            raise forms.ValidationError(_("Choose a .vtt file."))
        return data


class PosterForm(forms.Form):
    """Which of the video's keyframes is its poster."""

    keyframe = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)


class SuggestionForm(forms.Form):
    """The creator's answer to one suggested keyword."""

    ACTIONS = [
        ("tag", _("Add as a tag")),
        ("title", _("Add to the title")),
        ("ignore", _("Ignore")),
    ]

    keyword = forms.CharField(max_length=60)
    action = forms.ChoiceField(choices=ACTIONS)
