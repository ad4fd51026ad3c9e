"""Writes for the catalogue: media processing, the course builder, moderation,
publishing and enrollment. Other apps (the creator studio first) write the
catalogue's rows only through these functions."""

import logging

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.files import files_delete_on_commit

from .authoring import asset_captions_set as asset_captions_set  # the course builder
from .authoring import course_create as course_create
from .authoring import course_update as course_update
from .authoring import item_move as item_move
from .authoring import lesson_create as lesson_create
from .authoring import lesson_delete as lesson_delete
from .authoring import lesson_update as lesson_update
from .authoring import section_create as section_create
from .authoring import section_delete as section_delete
from .authoring import section_update as section_update
from .authoring import short_video_create as short_video_create
from .authoring import short_video_update as short_video_update
from .engagement import certificates_issue_for_course as certificates_issue_for_course
from .engagement import engagement_user_retire as engagement_user_retire
from .engagement import watch_history_clear as watch_history_clear
from .media.analysis import analysis_store as analysis_store  # content understanding
from .media.analysis import analysis_suggestion_answer as analysis_suggestion_answer
from .media.analysis import asset_poster_choose as asset_poster_choose
from .media.analysis import keyframe_files_of
from .media.analysis import media_asset_analyse as media_asset_analyse
from .media.analysis import media_assets_analyse_missing as media_assets_analyse_missing
from .media.services import CAPTIONS_MAX_BYTES as CAPTIONS_MAX_BYTES
from .media.services import _asset_claim as _asset_claim  # media writes, re-exported
from .media.services import _asset_fail as _asset_fail
from .media.services import media_asset_captions_set as media_asset_captions_set
from .media.services import media_asset_create as media_asset_create
from .media.services import media_asset_delete as media_asset_delete
from .media.services import media_asset_is_retryable as media_asset_is_retryable
from .media.services import media_asset_process as media_asset_process
from .media.services import media_asset_retry as media_asset_retry
from .media.services import media_assets_requeue_stale as media_assets_requeue_stale
from .media.services import media_incoming_name as media_incoming_name
from .models import Captions, Certificate, Course, Enrollment, MediaAsset, PublishStatus, ShortVideo
from .moderation import moderation_decide as moderation_decide  # review decisions
from .moderation import report_resolve as report_resolve
from .publishing import item_lock as item_lock  # the one publish path
from .publishing import item_publish as item_publish
from .publishing import item_unpublish as item_unpublish
from .satisfaction import survey_answer as survey_answer  # the once-per-course survey
from .satisfaction import survey_prompt_for as survey_prompt_for
from .satisfaction import survey_skip as survey_skip
from .search.text import course_search_text as course_search_text
from .search.text import segment as segment  # search text, for seeded rows too
from .search.text import short_video_search_text as short_video_search_text
from .trending import trending_refresh as trending_refresh

logger = logging.getLogger(__name__)

# The subtitle languages asset_captions_set takes (the studio's captions form offers them).
CaptionsLanguage = Captions.Language


@transaction.atomic
def enrollment_grant(
    *, user_id: int, course: Course, source: str = Enrollment.Source.PURCHASE
) -> Enrollment:
    """Give a user access to a course. Safe to call twice (webhook and redirect both do)."""
    enrollment, created = Enrollment.objects.select_for_update().get_or_create(
        user_id=user_id, course=course, defaults={"source": source}
    )
    if not created and enrollment.is_active:
        return enrollment
    if not created:
        enrollment.is_active = True
        enrollment.save(update_fields=["is_active", "updated_at"])
    # enrollment_count counts active students: a refund takes one off, a re-purchase back
    Course.objects.filter(pk=course.pk).update(enrollment_count=F("enrollment_count") + 1)
    return enrollment


# --- Commerce: refunds end access (owned by the commerce area) ---------------


@transaction.atomic
def enrollment_revoke(*, user_id: int, course_id: int) -> bool:
    """End a user's access at once (a full refund). True if access was active.

    The row stays as history; a later purchase re-activates it through
    ``enrollment_grant``. A completion certificate goes with the access.
    """
    changed = Enrollment.objects.filter(
        user_id=user_id, course_id=course_id, is_active=True
    ).update(is_active=False, updated_at=timezone.now())
    Certificate.objects.filter(user_id=user_id, course_id=course_id).delete()
    if changed:
        Course.objects.filter(pk=course_id, enrollment_count__gt=0).update(
            enrollment_count=F("enrollment_count") - 1
        )
    return changed > 0


# --- Account deletion (called by me.privacy.account_delete) ----------


@transaction.atomic
def creator_drafts_delete(*, creator_id: int) -> dict[str, int]:
    """Delete a creator's unpublished videos and courses, with what hangs on them,
    then the media files no one uses any more: covers, uploads and posters.

    Callers first make sure nothing is published, enrolled or sold (orders
    and enrollments protect their course). Files are deleted once the
    deletion commits.

    Returns:
        Rows deleted per kind: ``draft_videos``, ``draft_courses``, ``media_assets``.
    """
    drafts = Course.objects.filter(creator_id=creator_id).exclude(status=PublishStatus.PUBLISHED)
    files = list(drafts.exclude(cover="").values_list("cover", flat=True))
    _, videos = (
        ShortVideo.objects.filter(creator_id=creator_id)
        .exclude(status=PublishStatus.PUBLISHED)
        .delete()
    )
    _, courses = drafts.delete()
    unused = MediaAsset.objects.filter(owner_id=creator_id, short_videos=None, lessons=None)
    for asset in unused:
        files += [f.name for f in (asset.file, asset.poster) if f]
    files += keyframe_files_of(asset_ids=[a.pk for a in unused])
    _, assets = MediaAsset.objects.filter(pk__in=[a.pk for a in unused]).delete()
    files_delete_on_commit(storage=MediaAsset._meta.get_field("file").storage, names=files)
    return {
        "draft_videos": videos.get(ShortVideo._meta.label, 0),
        "draft_courses": courses.get(Course._meta.label, 0),
        "media_assets": assets.get(MediaAsset._meta.label, 0),
    }


# Engagement writes other apps call (engagement.py), public here.
