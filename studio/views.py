"""Studio pages: thin views over studio selectors (scoped to the creator) and services."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import user_is_creator
from commerce.selectors import coupon_list_for_creator, refund_rule_for_course
from commerce.services.coupons import coupon_create, coupon_set_active
from commerce.services.refunds import refund_policy_set
from common.api.auth import user_id_of
from common.exceptions import ApplicationError
from common.http import redirect_back
from common.money import decimal_to_minor, minor_to_decimal
from courses.services import (
    CAPTIONS_MAX_BYTES,
    media_asset_delete,
    media_asset_is_retryable,
    media_asset_retry,
)

from . import selectors, services
from .forms import (
    CaptionsForm,
    CouponForm,
    CourseForm,
    CreatorForm,
    LessonForm,
    PublishForm,
    RefundRuleForm,
    TitleForm,
    VideoCreateForm,
    VideoForm,
)

View = Callable[..., HttpResponse]


def creator_required(view: View) -> View:
    """Logged in, with a creator profile; otherwise off to log in or to open one."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_is_creator(user_id=user_id_of(request)):
            return redirect("studio:become")
        return view(request, *args, **kwargs)

    return wrapper


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form was on (``next``, this site only), else ``default``."""
    return redirect_back(request, request.POST.get("next", ""), default)


def _message_errors(request: HttpRequest, form: Any) -> None:
    """A form's errors as messages, for forms posted from another page."""
    for errors in form.errors.values():
        messages.error(request, " ".join(str(e) for e in errors))


def _form_error(form: Any, exc: ApplicationError | ValidationError) -> None:
    if isinstance(exc, ApplicationError):
        form.add_error(None, exc.message)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
def become(request: HttpRequest) -> HttpResponse:
    if user_is_creator(user_id=user_id_of(request)):
        return redirect("studio:home")
    form = CreatorForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        avatar = form.cleaned_data["avatar"]
        try:
            services.creator_become(
                user=request.user,
                handle=form.cleaned_data["handle"],
                bio=form.cleaned_data["bio"],
                avatar=avatar.read() if avatar else None,
            )
        except (ApplicationError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Welcome to the studio."))
            return redirect("studio:home")
    return render(request, "studio/become.html", {"form": form})


@creator_required
def home(request: HttpRequest) -> HttpResponse:
    uid = user_id_of(request)
    context = {
        "videos": selectors.video_list_own(creator_id=uid)[:50],
        "courses": selectors.course_list_own(creator_id=uid)[:50],
    }
    return render(request, "studio/home.html", context)


@creator_required
def library(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    assets = list(selectors.asset_list_own(owner_id=user_id_of(request))[:100])
    for asset in assets:
        asset.retryable = media_asset_is_retryable(asset, now=now)  # type: ignore[attr-defined]
    return render(request, "studio/library.html", {"assets": assets})


@creator_required
@require_POST
def asset_retry(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = selectors.asset_get_own(owner_id=user_id_of(request), asset_id=asset_id)
    try:
        media_asset_retry(asset=asset)
        messages.success(request, _("Processing queued again."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back(request, "studio:library")


@creator_required
@require_POST
def asset_delete(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = selectors.asset_get_own(owner_id=user_id_of(request), asset_id=asset_id)
    try:
        media_asset_delete(asset=asset)
        messages.success(request, _("Deleted."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("studio:library")


# --- Short videos ------------------------------------------------------------


@creator_required
def video_create(request: HttpRequest) -> HttpResponse:
    uid = user_id_of(request)
    form = VideoCreateForm(request.POST or None, creator_id=uid)
    if request.method == "POST" and form.is_valid():
        try:
            video = services.short_video_create(creator_id=uid, **form.cleaned_data)
        except (ApplicationError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Draft saved. Publish it once processing is done."))
            return redirect("studio:video-edit", video_id=video.pk)
    return render(request, "studio/video_create.html", {"form": form})


@creator_required
def video_edit(request: HttpRequest, video_id: int) -> HttpResponse:
    uid = user_id_of(request)
    video = selectors.video_get_own(creator_id=uid, video_id=video_id)
    initial = {
        "title": video.title,
        "description": video.description,
        "category": video.category_id,
        "tags": ", ".join(t.name for t in video.tags.all()),
        "course": video.course_id,
    }
    form = VideoForm(request.POST or None, initial=initial, creator_id=uid)
    if request.method == "POST" and form.is_valid():
        try:
            services.short_video_update(video=video, **form.cleaned_data)
        except (ApplicationError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("studio:video-edit", video_id=video.pk)
    context = {
        "video": video,
        "form": form,
        "publish_form": PublishForm(),
        "schedule": selectors.schedule_for(video),
        "retryable": media_asset_is_retryable(video.asset, now=timezone.now()),
    }
    return render(request, "studio/video_edit.html", context)


# --- Courses -------------------------------------------------------------------


def _course_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    fields["price_minor"] = decimal_to_minor(fields.pop("price"), fields["currency"])
    cover = fields.pop("cover", None)
    fields["cover"] = cover.read() if cover else None
    return fields


@creator_required
def course_create(request: HttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.course_create(
                creator_id=user_id_of(request), **_course_fields(form.cleaned_data)
            )
        except (ApplicationError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Course created. Add sections and lessons."))
            return redirect("studio:course-edit", course_id=course.pk)
    return render(request, "studio/course_create.html", {"form": form})


@creator_required
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    uid = user_id_of(request)
    course = selectors.course_get_own(creator_id=uid, course_id=course_id)
    initial = {
        "title": course.title,
        "summary": course.summary,
        "description": course.description,
        "category": course.category_id,
        "tags": ", ".join(t.name for t in course.tags.all()),
        "price": minor_to_decimal(course.price_minor, course.currency),
        "currency": course.currency,
    }
    form = CourseForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.course_update(course=course, **_course_fields(form.cleaned_data))
        except (ApplicationError, ValidationError) as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("studio:course-edit", course_id=course.pk)
    days, percent = refund_rule_for_course(course_id=course.pk)
    context = {
        "course": course,
        "form": form,
        "refund_form": RefundRuleForm(initial={"days": days, "max_watched_percent": percent}),
        "section_form": TitleForm(prefix="section"),
        "lesson_assets": list(selectors.lesson_assets_own(owner_id=uid)),
        "publish_form": PublishForm(),
        "schedule": selectors.schedule_for(course),
    }
    return render(request, "studio/course_edit.html", context)


def _back_to_course(course_id: int) -> HttpResponse:
    return redirect("studio:course-edit", course_id=course_id)


@creator_required
@require_POST
def section_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = selectors.course_get_own(creator_id=user_id_of(request), course_id=course_id)
    form = TitleForm(request.POST, prefix="section")
    if form.is_valid():
        services.section_create(course=course, title=form.cleaned_data["title"])
    else:
        messages.error(request, _("A section needs a title."))
    return _back_to_course(course.pk)


@creator_required
@require_POST
def section_action(request: HttpRequest, section_id: int, action: str) -> HttpResponse:
    section = selectors.section_get_own(creator_id=user_id_of(request), section_id=section_id)
    if action in ("up", "down"):
        services.item_move(item=section, direction=action)
    elif action == "delete":
        services.section_delete(section=section)
    elif action == "rename":
        form = TitleForm(request.POST, prefix=f"s{section.pk}")
        if form.is_valid():
            services.section_update(section=section, title=form.cleaned_data["title"])
        else:
            messages.error(request, _("A section needs a title."))
    return _back_to_course(section.course_id)


@creator_required
@require_POST
def lesson_create(request: HttpRequest, section_id: int) -> HttpResponse:
    uid = user_id_of(request)
    section = selectors.section_get_own(creator_id=uid, section_id=section_id)
    form = LessonForm(request.POST, prefix=f"lesson{section.pk}", creator_id=uid)
    if form.is_valid():
        try:
            services.lesson_create(section=section, **form.cleaned_data)
        except (ApplicationError, ValidationError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
    else:
        messages.error(request, _("Check the lesson: ") + form.errors.as_text())
    return _back_to_course(section.course_id)


@creator_required
@require_POST
def lesson_action(request: HttpRequest, lesson_id: int, action: str) -> HttpResponse:
    uid = user_id_of(request)
    lesson = selectors.lesson_get_own(creator_id=uid, lesson_id=lesson_id)
    if action in ("up", "down"):
        services.item_move(item=lesson, direction=action)
    elif action == "delete":
        services.lesson_delete(lesson=lesson)
    elif action == "edit":
        form = LessonForm(request.POST, prefix=f"l{lesson.pk}", creator_id=uid)
        if form.is_valid():
            try:
                services.lesson_update(lesson=lesson, **form.cleaned_data)
            except (ApplicationError, ValidationError) as exc:
                messages.error(request, getattr(exc, "message", str(exc)))
        else:
            messages.error(request, _("Check the lesson: ") + form.errors.as_text())
    return _back_to_course(lesson.course_id)


# --- Publishing ----------------------------------------------------------------


def _publish_action(request: HttpRequest, item: Any, action: str) -> None:
    if action == "unpublish":
        services.unpublish(item=item)
        messages.success(request, _("Unpublished."))
        return
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a valid date and time."))
        return
    at = form.cleaned_data["publish_at"]
    try:
        services.publish(item=item, at=at)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return
    if at and at > timezone.now():
        messages.success(request, _("Scheduled."))
    else:
        messages.success(request, _("Published."))


@creator_required
@require_POST
def video_publish(request: HttpRequest, video_id: int, action: str) -> HttpResponse:
    video = selectors.video_get_own(creator_id=user_id_of(request), video_id=video_id)
    _publish_action(request, video, action)
    return redirect("studio:video-edit", video_id=video.pk)


@creator_required
@require_POST
def course_publish(request: HttpRequest, course_id: int, action: str) -> HttpResponse:
    course = selectors.course_get_own(creator_id=user_id_of(request), course_id=course_id)
    _publish_action(request, course, action)
    return _back_to_course(course.pk)


@creator_required
def coupons(request: HttpRequest) -> HttpResponse:
    """The creator's discount codes, with their use, and a form for a new one."""
    uid = user_id_of(request)
    form = CouponForm(request.POST or None, creator_id=uid)
    if request.method == "POST" and form.is_valid():
        try:
            coupon = coupon_create(creator_id=uid, **form.coupon_fields())
        except ApplicationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Coupon %(code)s created.") % {"code": coupon.code})
            return redirect("studio:coupons")
    context = {"form": form, "coupons": coupon_list_for_creator(creator_id=uid)}
    return render(request, "studio/coupons.html", context, status=400 if form.errors else 200)


@creator_required
@require_POST
def coupon_toggle(request: HttpRequest, coupon_id: int, action: str) -> HttpResponse:
    try:
        coupon_set_active(
            creator_id=user_id_of(request), coupon_id=coupon_id, active=action == "resume"
        )
    except ApplicationError as exc:
        raise Http404(exc.message) from exc
    return redirect("studio:coupons")


@creator_required
@require_POST
def course_refund_rule(request: HttpRequest, course_id: int) -> HttpResponse:
    """Save the course's own refund rule; errors come back as messages on the course page."""
    course = selectors.course_get_own(creator_id=user_id_of(request), course_id=course_id)
    form = RefundRuleForm(request.POST)
    if not form.is_valid():
        _message_errors(request, form)
        return _back_to_course(course.pk)
    try:
        refund_policy_set(creator_id=user_id_of(request), course=course, **form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Refund rule saved."))
    return _back_to_course(course.pk)


@creator_required
@require_POST
def asset_captions(request: HttpRequest, asset_id: int) -> HttpResponse:
    """Attach, replace or remove a video's WebVTT subtitles."""
    asset = selectors.asset_get_own(owner_id=user_id_of(request), asset_id=asset_id)
    form = CaptionsForm(request.POST, request.FILES)
    if not form.is_valid():
        _message_errors(request, form)
        return _back(request, "studio:library")
    upload = form.cleaned_data["file"]
    try:
        services.asset_captions_set(
            asset=asset,
            vtt=None if form.cleaned_data["remove"] else upload.read(CAPTIONS_MAX_BYTES + 1),
            language=form.cleaned_data["language"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Subtitles saved."))
    return _back(request, "studio:library")
