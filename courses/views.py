"""Catalogue pages: a video with its player, a course with its syllabus, a lesson."""

import mimetypes
import re
from pathlib import Path
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from common.api.auth import user_id_of, user_id_or_none
from common.converters import ascii_int
from common.exceptions import ApplicationError
from common.http import ranged_file_response
from common.storage import MediaStore
from common.strings import page_strings

from .engagement import review_upsert
from .media.urls import MediaLinkError, media_query, media_store_url, media_verify
from .models import Captions, Course, Keyframe
from .satisfaction import survey_answer, survey_prompt_for, survey_skip
from .selectors import (
    keyframe_get_for_viewer,
    lesson_can_play,
    lesson_chapters,
    lesson_get,
    lesson_to_resume,
    media_asset_can_play,
    user_has_course_access,
    video_list_published,
)
from .shortcuts import course_published_or_404, video_published_or_404
from .viewer import (
    certificate_get,
    lesson_after,
    lesson_playback_rate,
    lesson_progress_for,
    review_list,
    viewer_marks,
)


def video_detail(request: HttpRequest, video_id: int) -> HttpResponse:
    video = video_published_or_404(video_id)
    more = video_list_published().filter(creator_id=video.creator_id).exclude(pk=video.pk)[:6]
    user_id = user_id_or_none(request)
    marks = viewer_marks(user_id=user_id, videos=[video])
    position, rate = marks.positions.get(video.pk, (0.0, 1.0))
    context = {
        "video": video,
        "more": more,
        "marks": {
            "liked": video.pk in marks.liked,
            "favorited": video.pk in marks.favorited,
            "following": video.creator_id in marks.following,
        },
        "resume_position": position,
        "resume_rate": rate,
        "start_at": start_at_of(request, duration=video.duration_seconds),
        "strings": page_strings(),
    }
    return render(request, "courses/video_detail.html", context)


_START_AT = re.compile(r"^\d{1,6}(\.\d{1,3})?$")


def start_at_of(request: HttpRequest, *, duration: float) -> str:
    """``?t=SECONDS`` (a search result's on-screen moment, a chapter link), or "".

    Anything else is ignored rather than refused: a shared link with a
    mangled ``t`` still plays the video from where it would have.
    """
    value = request.GET.get("t", "")
    if not _START_AT.match(value):
        return ""
    seconds = float(value)
    return f"{seconds:g}" if duration <= 0 or seconds < duration else ""


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("Rating"), coerce=int, choices=[(n, "★" * n) for n in range(5, 0, -1)]
    )
    body = forms.CharField(
        label=_("Review"), required=False, max_length=2000, widget=forms.Textarea
    )


def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_published_or_404(slug)
    return _course_page(request, course, ReviewForm())


def _course_page(
    request: HttpRequest, course: Course, review_form: "ReviewForm", status: int = 200
) -> HttpResponse:
    user_id = user_id_or_none(request)
    lessons = [lesson for section in course.sections.all() for lesson in section.lessons.all()]
    has_access = user_has_course_access(user_id=user_id, course=course)
    reviews = list(review_list(course_id=course.pk)[:50])
    my_review = next((r for r in reviews if r.author_id == user_id), None)
    if my_review and not review_form.is_bound:
        review_form = ReviewForm(initial={"rating": my_review.rating, "body": my_review.body})
    context = {
        "course": course,
        "has_access": has_access,
        "can_review": has_access and user_id != course.creator_id,
        "lesson_count": len(lessons),
        "total_seconds": sum(lesson.duration_seconds for lesson in lessons),
        "reviews": reviews,
        "my_review": my_review,
        "review_form": review_form,
        "from_video": _video_id_param(request.GET.get("from_video", "")),
        # "Start learning" / "Continue lesson N": a buyer goes straight on.
        "resume": lesson_to_resume(user_id=user_id, lessons=lessons)
        if has_access and lessons
        else None,
    }
    return render(request, "courses/course_detail.html", context, status=status)


@login_required
@require_POST
def course_review(request: HttpRequest, slug: str) -> HttpResponse:
    """Post or update the viewer's review; form errors re-render the course page."""
    course = course_published_or_404(slug)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            review_upsert(author_id=user_id_of(request), course=course, **form.cleaned_data)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Thanks for your review."))
            return redirect(f"{reverse('courses:course-detail', args=[slug])}#reviews")
    return _course_page(request, course, form, status=400)


def _video_id_param(value: str) -> str:
    """The short video a viewer came from (for attribution), if the parameter is an id."""
    return value if ascii_int(value, 12) is not None else ""


def lesson_watch(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = lesson_get(lesson_id=lesson_id)
    if lesson is None:
        raise Http404("No such lesson.")
    user_id = user_id_or_none(request)
    if not lesson_can_play(user_id=user_id, lesson=lesson):
        return render(request, "courses/lesson_locked.html", {"lesson": lesson}, status=403)
    query = media_query(
        user_id=user_id, lesson_id=lesson.pk, duration_seconds=lesson.duration_seconds
    )
    context = {
        "lesson": lesson,
        "media_src": f"{reverse('courses:lesson-media', args=[lesson.pk])}?{query}",
        "progress": lesson_progress_for(user_id=user_id, lesson_id=lesson.pk) if user_id else None,
        "playback_rate": (
            lesson_playback_rate(user_id=user_id, course_id=lesson.course_id) if user_id else 1.0
        ),
        "can_save": user_id is not None,
        "next_lesson": lesson_after(lesson=lesson),
        "survey": survey_prompt_for(user_id=user_id, course=lesson.course),
        "survey_scores": SURVEY_SCORES,
        "start_at": start_at_of(request, duration=lesson.duration_seconds),
        "chapters": lesson_chapters(lesson=lesson),
    }
    return render(request, "courses/lesson_watch.html", context)


SURVEY_SCORES = range(11)


class SurveyForm(forms.Form):
    """The lesson page's survey: a 0–10 score, or the skip button."""

    score = forms.IntegerField(required=False, min_value=0, max_value=10)
    action = forms.ChoiceField(choices=[("answer", "answer"), ("skip", "skip")])
    next = forms.CharField(required=False, max_length=500)

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("action") == "answer" and cleaned.get("score") is None:
            self.add_error("score", _("Choose a score from 0 to 10, or skip."))
        return cleaned


@login_required
@require_POST
def course_survey(request: HttpRequest, slug: str) -> HttpResponse:
    """Answer or skip the survey from the lesson page; back to the lesson, or a 4xx page."""
    course = course_published_or_404(slug)
    form = SurveyForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field in form.errors.values() for e in field]
        return _survey_refused(request, course, " ".join(errors), 400)
    try:
        if form.cleaned_data["action"] == "skip":
            survey_skip(user_id=user_id_of(request), course=course)
            messages.info(request, _("Survey skipped: it will not be asked again."))
        else:
            survey_answer(
                user_id=user_id_of(request), course=course, score=form.cleaned_data["score"]
            )
            messages.success(request, _("Thanks for your answer."))
    except ApplicationError as error:
        return _survey_refused(request, course, error.message, error.status)
    back = form.cleaned_data["next"]
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("courses:course-detail", args=[slug])
    return redirect(back)


def _survey_refused(
    request: HttpRequest, course: Course, message: str, status: int
) -> HttpResponse:
    context = {"course": course, "message": message}
    return render(request, "courses/survey_refused.html", context, status=status)


def lesson_media(request: HttpRequest, lesson_id: int) -> HttpResponse | StreamingHttpResponse:
    """Stream a lesson's video to whoever may play it, with Range support.

    A signed link (``?u=&e=&s=``) must verify and belong to the requester:
    tampered or foreign → 403, expired → 410. The entitlement is checked on
    every request either way. Media in an object store: a redirect to the
    store's signed URL. Media on the local disk: with
    ``COURSES_MEDIA_ACCEL_PREFIX`` set, nginx sends the bytes (and answers
    Range) through ``X-Accel-Redirect``; without it, this view does.
    """
    lesson = lesson_get(lesson_id=lesson_id)
    if lesson is None or lesson.asset is None:
        raise Http404("No such lesson media.")
    user_id = user_id_or_none(request)
    grant = None
    if {"u", "e", "s"} & request.GET.keys():
        try:
            grant = media_verify(params=request.GET.dict(), lesson_id=lesson.pk, user_id=user_id)
        except MediaLinkError as exc:
            return HttpResponse(str(exc), status=exc.status, content_type="text/plain")
    if not lesson_can_play(user_id=user_id, lesson=lesson):
        raise Http404("No such lesson media.")
    name = lesson.asset.file.name
    storage = lesson.asset.file.storage
    if isinstance(storage, MediaStore):
        url = media_store_url(
            storage=storage, name=name, grant=grant, duration_seconds=lesson.duration_seconds
        )
        redirect_to = HttpResponseRedirect(url)
        redirect_to["Cache-Control"] = "private, no-store"
        return redirect_to
    path = Path(settings.MEDIA_ROOT) / name
    if not path.is_file():
        raise Http404("No such lesson media.")
    prefix = settings.COURSES_MEDIA_ACCEL_PREFIX
    if prefix:
        response: HttpResponse | StreamingHttpResponse = HttpResponse(
            content_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
    else:
        response = ranged_file_response(request, path)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def certificate(request: HttpRequest, code: str) -> HttpResponse:
    """A completion certificate anyone with its code can check (and print)."""
    found = certificate_get(code=code)
    if found is None:
        raise Http404("No such certificate.")
    return render(request, "courses/certificate.html", {"certificate": found})


def captions(request: HttpRequest, asset_id: int) -> HttpResponse:
    """A video's WebVTT subtitles, to whoever may play the video."""
    found = Captions.objects.select_related("asset").filter(asset_id=asset_id).first()
    if found is None or not media_asset_can_play(
        user_id=user_id_or_none(request), asset=found.asset
    ):
        raise Http404("No such subtitles.")
    response = HttpResponse(found.vtt, content_type="text/vtt; charset=utf-8")
    if found.asset.is_private:  # a paid lesson's words: as its media, never in a shared cache
        response["Cache-Control"] = "private, no-store"
    return response


KEYFRAME_URL_SECONDS = 300  # long enough to load a page of frames, short enough not to share


def keyframe_image(request: HttpRequest, keyframe_id: int) -> HttpResponse | StreamingHttpResponse:
    """A video's keyframe, for its creator (poster choice) and moderators (flagged frames)."""
    try:
        keyframe = keyframe_get_for_viewer(
            keyframe_id=keyframe_id,
            user_id=user_id_or_none(request),
            is_staff=bool(getattr(request.user, "is_staff", False)),
        )
    except Keyframe.DoesNotExist:
        raise Http404 from None
    storage = keyframe.image.storage
    if isinstance(storage, MediaStore):  # the object store serves it, signed for a few minutes
        return redirect(storage.signed_url(keyframe.image.name, seconds=KEYFRAME_URL_SECONDS))
    response = ranged_file_response(request, Path(keyframe.image.path))
    response["Cache-Control"] = "private, max-age=3600"
    return response
