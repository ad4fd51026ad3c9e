"""Becoming a creator: the creator profile, with an optional avatar."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.selectors import user_is_creator
from accounts.services import creator_profile_create
from common.exceptions import ApplicationError
from common.images import image_reencode


@transaction.atomic
def creator_become(*, user: Any, handle: str, bio: str = "", avatar: bytes | None = None) -> Any:
    """Open the user's creator profile (handle, bio, optional avatar)."""
    if user_is_creator(user_id=user.pk):
        raise ApplicationError(_("You already have a creator profile."), code="already_creator")
    avatar_file = image_reencode(data=avatar, max_side=512) if avatar else None
    profile = creator_profile_create(user=user, handle=handle, bio=bio)
    if avatar_file is not None:
        profile.avatar.save(f"{profile.handle}.jpg", avatar_file, save=True)
    return profile
