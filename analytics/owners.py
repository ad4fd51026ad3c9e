"""Who owns a video or a course, and how long a video is, as told by the app that stores them.

Analytics sits below the catalogue (``courses`` records events through
analytics), so it cannot import the catalogue's models; the catalogue
registers its lookups here when Django starts (``CoursesConfig.ready``).
Ingestion uses them to attribute client events to the real owner, and to
clamp a client's watched seconds to the video's length.
"""

from collections.abc import Callable, Iterable

OwnerLookup = Callable[[set[int]], dict[int, int]]
_lookups: dict[str, OwnerLookup] = {}


def owner_lookup_register(kind: str, lookup: OwnerLookup) -> None:
    """Register ``lookup(ids) -> {id: creator_id}`` for ``kind`` ("video" or "course")."""
    _lookups[kind] = lookup


def owners_of(kind: str, ids: Iterable[int]) -> dict[int, int]:
    """The creator of each existing ``kind`` among ``ids``; unknown ids are left out."""
    wanted = set(ids)
    if not wanted or kind not in _lookups:
        return {}
    return _lookups[kind](wanted)


DurationLookup = Callable[[set[int]], dict[int, float]]
_durations: list[DurationLookup] = []


def video_duration_lookup_register(lookup: DurationLookup) -> None:
    """Register ``lookup(ids) -> {video id: seconds}``."""
    _durations[:] = [lookup]


def video_durations_of(ids: Iterable[int]) -> dict[int, float]:
    """The length in seconds of each existing video among ``ids``; unknown ids are left out."""
    wanted = set(ids)
    if not wanted or not _durations:
        return {}
    return _durations[0](wanted)
