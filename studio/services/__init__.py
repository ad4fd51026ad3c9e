"""Studio writes: becoming a creator, resumable uploads, videos, the course
builder, publishing (now or scheduled) and moderation decisions.

Every function takes objects the caller already scoped to the creator (the
selectors do that, answering 404 for anyone else's), so services only check
rules, not ownership.

One module per purpose; this package re-exports what views, the admin,
the API, tasks and tests call.
"""

from .builder import (
    asset_captions_set,
    course_create,
    course_update,
    item_move,
    lesson_create,
    lesson_delete,
    lesson_update,
    section_create,
    section_delete,
    section_update,
    short_video_create,
    short_video_update,
)
from .images import COVER_SIZE, cover_reencode
from .moderation import moderation_decide, report_resolve, review_after_change
from .profiles import creator_become
from .publishing import publish, scheduled_publish_due, unpublish
from .uploads import (
    upload_chunk_receive,
    upload_session_cancel,
    upload_session_create,
    upload_sessions_expire,
)

__all__ = [
    "COVER_SIZE",
    "asset_captions_set",
    "course_create",
    "course_update",
    "cover_reencode",
    "creator_become",
    "item_move",
    "lesson_create",
    "lesson_delete",
    "lesson_update",
    "moderation_decide",
    "publish",
    "report_resolve",
    "review_after_change",
    "scheduled_publish_due",
    "section_create",
    "section_delete",
    "section_update",
    "short_video_create",
    "short_video_update",
    "unpublish",
    "upload_chunk_receive",
    "upload_session_cancel",
    "upload_session_create",
    "upload_sessions_expire",
]
