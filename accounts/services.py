"""Writes for people: accounts, creator profiles, follows."""

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext

from analytics.services import EventType, event_record, subject_merge_anonymous
from common.cache import viewer_generation_bump
from common.exceptions import ApplicationError
from common.files import files_delete_on_commit

from .models import CreatorProfile, Follow, User
from .notifications import Kind as Kind  # notification writes, re-exported
from .notifications import followers_notify_on_commit as followers_notify_on_commit
from .notifications import notification_create as notification_create
from .notifications import notification_open as notification_open
from .notifications import notifications_mark_read as notifications_mark_read
from .notifications import notifications_user_retire

# Deleted accounts are renamed ``deleted-<id>``; nobody may sign up with such a name.
DELETED_USERNAME_PREFIX = "deleted-"


def username_is_reserved(username: str) -> bool:
    """True for names kept for deleted accounts (any letter case)."""
    return username.lower().startswith(DELETED_USERNAME_PREFIX)


@transaction.atomic
def user_create(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Create a viewer account and record the signup."""
    if username_is_reserved(username):
        raise ApplicationError(gettext("That username is reserved."), code="username_reserved")
    user = User(username=username, email=email.strip(), display_name=display_name)
    user.set_password(password)
    user.full_clean()
    _save_unique(user, gettext("That username or email was just taken."))
    event_record(type=EventType.SIGNUP, user_id=user.pk)
    return user


@transaction.atomic
def creator_profile_create(*, user: User, handle: str, bio: str = "") -> CreatorProfile:
    """Open a creator page for a user; one per user, handles unique."""
    profile = CreatorProfile(user=user, handle=handle, bio=bio)
    profile.full_clean()
    _save_unique(profile, gettext("That handle was just taken."))
    return profile


def _save_unique(instance: User | CreatorProfile, taken: str) -> None:
    """Save; a twin request that passed the same uniqueness check first is a clear error.

    ``full_clean`` checks unique fields, but two requests can both pass it
    before either saves; the unique index then decides, and the loser hears why.
    """
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise ApplicationError(taken, code="taken") from exc


def follow_create(*, follower_id: int, creator_id: int) -> bool:
    """Follow a creator. Returns False when already following; counts stay exact."""
    if follower_id == creator_id:
        raise ApplicationError(gettext("You cannot follow yourself."), code="follow_self")
    try:
        with transaction.atomic():
            Follow.objects.create(follower_id=follower_id, creator_id=creator_id)
            CreatorProfile.objects.filter(user_id=creator_id).update(
                follower_count=F("follower_count") + 1
            )
            event_record(type=EventType.FOLLOW, user_id=follower_id, creator_id=creator_id)
            notification_create(
                recipient_id=creator_id,
                kind=Kind.NEW_FOLLOWER,
                actor_id=follower_id,
                once_unread=True,
            )
    except IntegrityError:
        return False
    viewer_generation_bump(follower_id)
    return True


@transaction.atomic
def follow_delete(*, follower_id: int, creator_id: int) -> bool:
    """Unfollow. Returns False when there was nothing to undo."""
    deleted, _ = Follow.objects.filter(follower_id=follower_id, creator_id=creator_id).delete()
    if deleted:
        CreatorProfile.objects.filter(user_id=creator_id, follower_count__gt=0).update(
            follower_count=F("follower_count") - 1
        )
    return bool(deleted)


def preferences_update(
    *,
    user: User,
    interests: list[str] | None = None,
    is_personalization_enabled: bool | None = None,
    language: str | None = None,
) -> User:
    """Change what the viewer told us about themselves; unset arguments stay."""
    fields = []
    if interests is not None:
        user.interests = list(dict.fromkeys(interests))
        fields.append("interests")
    if is_personalization_enabled is not None:
        user.is_personalization_enabled = is_personalization_enabled
        fields.append("is_personalization_enabled")
    if language is not None:
        user.language = language
        fields.append("language")
    if fields:
        user.save(update_fields=fields)
        viewer_generation_bump(user.pk)
    return user


def session_started(*, user_id: int, anonymous_id: str = "") -> int:
    """Record a login and fold the browser's anonymous history into the account.

    Returns the number of anonymous events that now belong to the user.
    """
    event_record(type=EventType.LOGIN, user_id=user_id)
    if not anonymous_id:
        return 0
    return subject_merge_anonymous(anonymous_id=anonymous_id, user_id=user_id)


# --- Account deletion (called by me.privacy.account_delete) ----------


@transaction.atomic
def accounts_user_retire(*, user_id: int) -> dict[str, int]:
    """Forget a person: follows both ways, their creator page (and its avatar file),
    notifications, identity.

    The user row itself stays, anonymised and inactive, because orders,
    refunds, payouts and the creator ledger point at it (PROTECT; money
    records are kept by law). Inactive users are logged out everywhere:
    Django's ModelBackend refuses them on every request. Safe to repeat.

    Returns:
        Rows deleted per kind: ``follows``, ``creator_profiles``,
        ``notifications`` (received or caused).
    """
    user = User.objects.select_for_update().get(pk=user_id)
    # Each follow counted once on the followed creator's page: take it off first.
    following = Follow.objects.filter(follower_id=user_id).values("creator_id")
    CreatorProfile.objects.filter(user_id__in=following, follower_count__gt=0).update(
        follower_count=F("follower_count") - 1
    )
    follows, _ = Follow.objects.filter(Q(follower_id=user_id) | Q(creator_id=user_id)).delete()
    avatars = [
        profile.avatar.name
        for profile in CreatorProfile.objects.filter(user_id=user_id).exclude(avatar="")
    ]
    profiles, _ = CreatorProfile.objects.filter(user_id=user_id).delete()
    # The file is public at /media/avatars/<handle>.jpg (nginx serves it): it goes too.
    storage = CreatorProfile._meta.get_field("avatar").storage
    files_delete_on_commit(storage=storage, names=avatars)
    notifications = notifications_user_retire(user_id=user_id)
    _user_anonymise(user)
    return {"follows": follows, "creator_profiles": profiles, "notifications": notifications}


def _user_anonymise(user: User) -> None:
    """Blank every personal field; the row keeps only its id and join date."""
    user.username = f"{DELETED_USERNAME_PREFIX}{user.pk}"
    user.email = user.first_name = user.last_name = user.display_name = user.language = ""
    user.interests = []
    user.last_login = None
    user.is_active = user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.save(
        update_fields=[
            "username",
            "email",
            "first_name",
            "last_name",
            "display_name",
            "language",
            "interests",
            "last_login",
            "is_active",
            "is_staff",
            "is_superuser",
            "password",
        ]
    )
    user.groups.clear()
    user.user_permissions.clear()


# Notification writes the inbox uses, public here (they live in notifications.py).
