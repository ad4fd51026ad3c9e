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
from commerce.services import coupon_create, coupon_set_active, refund_policy_set
from common.api.auth import user_id_of
from common.exceptions import ApplicationError
from common.http import redirect_back
from common.money import decimal_to_minor, minor_to_decimal
from courses.selectors import CreatorAnalysis, asset_analysis_for_creator, course_draft
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
    PosterForm,
    PublishForm,
    RefundRuleForm,
    SuggestionForm,
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


REFUSED: Any = object()  # what ``_submit`` returns when the form or the service said no


def _submit(
    request: HttpRequest,
    form: Any,
    save: Callable[[dict[str, Any]], Any],
    *,
    saved: str | Callable[[Any], str] = "",
    invalid: str = "",
    as_messages: bool = False,
) -> Any:
    """The studio's one way to handle a posted form: validate, call the service, say so.

    Returns what ``save(cleaned_data)`` returned, or ``REFUSED``; ``saved`` is the
    success message (or makes it from the result). A refusal (the
    form's or the service's ``ApplicationError``/``ValidationError``) lands on the
    form, for pages that show it again; with ``as_messages`` (forms posted from
    another page) it becomes messages instead, ``invalid`` replacing the form's
    own errors when given. ``form=None`` runs ``save({})``: a button, no fields.
    """
    if form is not None and not form.is_valid():
        if as_messages:
            _say_errors(request, form, invalid)
        return REFUSED
    try:
        result = save(form.cleaned_data if form is not None else {})
    except (ApplicationError, ValidationError) as exc:
        if form is None:
            messages.error(
                request,
                exc.message if isinstance(exc, ApplicationError) else " ".join(exc.messages),
            )
            return REFUSED
        _form_error(form, exc)
        if as_messages:
            _message_errors(request, form)
        return REFUSED
    message = saved(result) if callable(saved) else saved
    if message:
        messages.success(request, message)
    return result


def _say_errors(request: HttpRequest, form: Any, invalid: str) -> None:
    if invalid:
        messages.error(request, invalid)
    else:
        _message_errors(request, form)


def _form_page(
    request: HttpRequest,
    form: Any,
    save: Callable[[dict[str, Any]], Any],
    *,
    saved: str | Callable[[Any], str],
    then: Callable[[Any], HttpResponse],
    template: str,
    context: Callable[[], dict[str, Any]] = dict,
    invalid_status: int = 200,
) -> HttpResponse:
    """A page with one form: GET shows it, a good POST saves and goes on (``then``),
    a refused POST shows the form again with its errors."""
    if request.method == "POST":
        result = _submit(request, form, save, saved=saved)
        if result is not REFUSED:
            return then(result)
    status = invalid_status if form.errors else 200
    return render(request, template, {"form": form, **context()}, status=status)


@login_required
def become(request: HttpRequest) -> HttpResponse:
    if user_is_creator(user_id=user_id_of(request)):
        return redirect("studio:home")
    form = CreatorForm(request.POST or None, request.FILES or None)

    def save(data: dict[str, Any]) -> Any:
        avatar = data["avatar"]
        return services.creator_become(
            user=request.user,
            handle=data["handle"],
            bio=data["bio"],
            avatar=avatar.read() if avatar else None,
        )

    return _form_page(
        request,
        form,
        save,
        saved=_("Welcome to the studio."),
        then=lambda _profile: redirect("studio:home"),
        template="studio/become.html",
    )


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
    _submit(
        request, None, lambda _: media_asset_retry(asset=asset), saved=_("Processing queued again.")
    )
    return _back(request, "studio:library")


@creator_required
@require_POST
def asset_delete(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = selectors.asset_get_own(owner_id=user_id_of(request), asset_id=asset_id)
    _submit(request, None, lambda _: media_asset_delete(asset=asset), saved=_("Deleted."))
    return redirect("studio:library")


# --- Short videos ------------------------------------------------------------


@creator_required
def video_create(request: HttpRequest) -> HttpResponse:
    uid = user_id_of(request)
    form = VideoCreateForm(request.POST or None, creator_id=uid)
    return _form_page(
        request,
        form,
        lambda data: services.short_video_create(creator_id=uid, **data),
        saved=_("Draft saved. Publish it once processing is done."),
        then=lambda video: redirect("studio:video-edit", video_id=video.pk),
        template="studio/video_create.html",
    )


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
    return _form_page(
        request,
        form,
        lambda data: services.short_video_update(video=video, **data),
        saved=_("Saved."),
        then=lambda _: redirect("studio:video-edit", video_id=video.pk),
        template="studio/video_edit.html",
        context=lambda: {
            "video": video,
            "publish_form": PublishForm(),
            "schedule": selectors.schedule_for(video),
            "retryable": media_asset_is_retryable(video.asset, now=timezone.now()),
            "analysis": _analysis_of(video),
        },
    )


def _analysis_of(video: Any) -> CreatorAnalysis | None:
    """The content-analysis panel; suggestions already in the tags or title are not offered."""
    taken = {tag.name.lower() for tag in video.tags.all()} | set(video.title.lower().split())
    return asset_analysis_for_creator(asset_id=video.asset_id, taken=frozenset(taken))


@require_POST
@creator_required
def video_poster(request: HttpRequest, video_id: int) -> HttpResponse:
    """Make one of the video's keyframes its poster."""
    video = selectors.video_get_own(creator_id=user_id_of(request), video_id=video_id)
    _submit(
        request,
        PosterForm(request.POST),
        lambda data: services.asset_poster_choose(asset=video.asset, keyframe_id=data["keyframe"]),
        saved=_("Poster changed."),
        invalid=_("Choose one of this video's frames."),
        as_messages=True,
    )
    return redirect("studio:video-edit", video_id=video.pk)


@require_POST
@creator_required
def video_suggestion(request: HttpRequest, video_id: int) -> HttpResponse:
    """Accept (as a tag or in the title) or ignore one suggested keyword."""
    video = selectors.video_get_own(creator_id=user_id_of(request), video_id=video_id)
    _submit(
        request,
        SuggestionForm(request.POST),
        lambda data: services.suggestion_apply(
            video=video, keyword=data["keyword"], action=data["action"]
        ),
        saved=_("Saved."),
        as_messages=True,
    )
    return redirect("studio:video-edit", video_id=video.pk)


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
    return _form_page(
        request,
        form,
        lambda data: services.course_create(creator_id=user_id_of(request), **_course_fields(data)),
        saved=_("Course created. Add sections and lessons."),
        then=lambda course: _back_to_course(course.pk),
        template="studio/course_create.html",
    )


@creator_required
def course_edit(request: HttpRequest, course_id: int) -> HttpResponse:
    uid = user_id_of(request)
    course = selectors.course_get_own(creator_id=uid, course_id=course_id)
    draft = course_draft(course)  # a change in review shows as written
    initial = {
        "title": draft["title"],
        "summary": draft["summary"],
        "description": draft["description"],
        "category": draft["category_id"],
        "tags": ", ".join(draft["tags"]),
        "price": minor_to_decimal(course.price_minor, course.currency),
        "currency": course.currency,
    }
    form = CourseForm(request.POST or None, request.FILES or None, initial=initial)

    def context() -> dict[str, Any]:
        days, percent = refund_rule_for_course(course_id=course.pk)
        return {
            "course": course,
            "refund_form": RefundRuleForm(initial={"days": days, "max_watched_percent": percent}),
            "section_form": TitleForm(prefix="section"),
            "lesson_assets": list(selectors.lesson_assets_own(owner_id=uid)),
            "publish_form": PublishForm(),
            "schedule": selectors.schedule_for(course),
        }

    return _form_page(
        request,
        form,
        lambda data: services.course_update(course=course, **_course_fields(data)),
        saved=_("Saved."),
        then=lambda _: _back_to_course(course.pk),
        template="studio/course_edit.html",
        context=context,
    )


def _back_to_course(course_id: int) -> HttpResponse:
    return redirect("studio:course-edit", course_id=course_id)


@creator_required
@require_POST
def section_create(request: HttpRequest, course_id: int) -> HttpResponse:
    course = selectors.course_get_own(creator_id=user_id_of(request), course_id=course_id)
    _submit(
        request,
        TitleForm(request.POST, prefix="section"),
        lambda data: services.section_create(course=course, title=data["title"]),
        invalid=_("A section needs a title."),
        as_messages=True,
    )
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
        _submit(
            request,
            TitleForm(request.POST, prefix=f"s{section.pk}"),
            lambda data: services.section_update(section=section, title=data["title"]),
            invalid=_("A section needs a title."),
            as_messages=True,
        )
    return _back_to_course(section.course_id)


@creator_required
@require_POST
def lesson_create(request: HttpRequest, section_id: int) -> HttpResponse:
    uid = user_id_of(request)
    section = selectors.section_get_own(creator_id=uid, section_id=section_id)
    _submit(
        request,
        LessonForm(request.POST, prefix=f"lesson{section.pk}", creator_id=uid),
        lambda data: services.lesson_create(section=section, **data),
        as_messages=True,
    )
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
        _submit(
            request,
            LessonForm(request.POST, prefix=f"l{lesson.pk}", creator_id=uid),
            lambda data: services.lesson_update(lesson=lesson, **data),
            as_messages=True,
        )
    return _back_to_course(lesson.course_id)


# --- Publishing ----------------------------------------------------------------


def _publish_action(request: HttpRequest, item: Any, action: str) -> None:
    if action == "unpublish":
        services.unpublish(item=item)
        messages.success(request, _("Unpublished."))
        return
    form = PublishForm(request.POST)
    outcome = _submit(
        request,
        form,
        lambda data: services.publish(item=item, at=data["publish_at"]),
        invalid=_("Enter a valid date and time."),
        as_messages=True,
    )
    if outcome is REFUSED:
        return
    at = form.cleaned_data["publish_at"]
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
    return _form_page(
        request,
        form,
        lambda _data: coupon_create(creator_id=uid, **form.coupon_fields()),
        saved=lambda coupon: _("Coupon %(code)s created.") % {"code": coupon.code},
        then=lambda _: redirect("studio:coupons"),
        template="studio/coupons.html",
        context=lambda: {"coupons": coupon_list_for_creator(creator_id=uid)},
        invalid_status=400,
    )


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
    _submit(
        request,
        RefundRuleForm(request.POST),
        lambda data: refund_policy_set(creator_id=user_id_of(request), course=course, **data),
        saved=_("Refund rule saved."),
        as_messages=True,
    )
    return _back_to_course(course.pk)


@creator_required
@require_POST
def asset_captions(request: HttpRequest, asset_id: int) -> HttpResponse:
    """Attach, replace or remove a video's WebVTT subtitles."""
    asset = selectors.asset_get_own(owner_id=user_id_of(request), asset_id=asset_id)
    _submit(
        request,
        CaptionsForm(request.POST, request.FILES),
        lambda data: services.asset_captions_set(
            asset=asset,
            vtt=None if data["remove"] else data["file"].read(CAPTIONS_MAX_BYTES + 1),
            language=data["language"],
        ),
        saved=_("Subtitles saved."),
        as_messages=True,
    )
    return _back(request, "studio:library")
