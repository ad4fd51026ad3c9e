"""Search over videos, courses and creators, in Chinese and English.

Documents and queries go through the same jieba segmentation
(``courses.search.text``), so matching is token against token on both
backends:

* PostgreSQL: ``to_tsvector('simple', search_text)`` (GIN-indexed by
  migration 0003) matched by a tsquery of the query's terms, AND first and
  OR when AND finds nothing; relevance is ``ts_rank``.
* SQLite: ``' ' || search_text || ' '`` LIKE ``'% term %'`` per term, the
  same AND-then-OR fallback; relevance is the summed length of the
  matched terms (a long Chinese word is worth more than one character).

Either relevance is multiplied by a log-damped, saturating popularity
factor ``1 + 0.2 * p / (p + 3)`` with ``p = ln(1 + popularity)``: among
equally relevant results the popular one wins, but popularity lifts a result
by less than 20%, so it never jumps over a clearly better match. Every section
costs a fixed number of queries: one for both counts, one for the page (and
one to prefetch the page's video tags).
"""

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Ln
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from accounts.selectors import creator_q

from ..models import Course, ShortVideo
from ..visibility import course_visible_q, visible_q
from .moments import screen_moments
from .text import search_terms

SearchType = Literal["all", "videos", "courses", "creators"]
Pricing = Literal["free", "paid"]

SEARCH_MAX_LIMIT = 50
SEARCH_MAX_TERMS = 8
# Popularity multiplies relevance by at most 1 + this (see the module doc).
POPULARITY_MAX_BOOST = 0.2
# ln(1 + popularity) at which half of the boost is reached (popularity ~19).
POPULARITY_HALF_AT = 3.0
# The config the GIN indexes in migration 0003 are built with; keep in step.
TS_CONFIG = "simple"


@dataclass(frozen=True)
class SearchSection:
    """One section of results: the page of rows and how many matched in all."""

    count: int
    results: list[Any]
    matched_all_terms: bool = True


@dataclass(frozen=True)
class SearchResults:
    """What a search found; sections not asked for are None."""

    query: str
    terms: list[str]
    videos: SearchSection | None = None
    courses: SearchSection | None = None
    creators: SearchSection | None = None
    sections: list[str] = field(default_factory=list)


def search(
    *,
    query: str,
    type: SearchType = "all",
    category_slug: str | None = None,
    pricing: Pricing | None = None,
    price_min_minor: int | None = None,
    price_max_minor: int | None = None,
    limit: int = 10,
    offset: int = 0,
    browse: bool = False,
) -> SearchResults:
    """Search published, approved videos and courses and active creators.

    With ``browse`` and no words to find, the video and course sections list
    everything that passes the filters, most popular first (the catalogue);
    creators are only ever found by name.

    Args:
        query: what the person typed; segmented with jieba.
        type: which sections to fill.
        category_slug: videos and courses of this category only.
        pricing: courses that are free (price 0) or paid only.
        price_min_minor: courses costing at least this, in minor units (fen).
        price_max_minor: courses costing at most this, in minor units (fen).
        limit: rows per section, capped at ``SEARCH_MAX_LIMIT``.
        offset: rows to skip in each section.
        browse: list by the filters alone when ``query`` has no words.

    Returns:
        The page of each section asked for, best match first, with counts.
    """
    terms = search_terms(query)[:SEARCH_MAX_TERMS]
    limit = max(1, min(limit, SEARCH_MAX_LIMIT))
    offset = max(0, offset)
    found: dict[str, SearchSection] = {}
    if not terms and not browse:
        return SearchResults(query=query, terms=terms)
    if type in ("all", "videos"):
        found["videos"] = video_search(
            terms=terms, category_slug=category_slug, limit=limit, offset=offset
        )
    if type in ("all", "courses"):
        found["courses"] = course_search(
            terms=terms,
            category_slug=category_slug,
            pricing=pricing,
            price_min_minor=price_min_minor,
            price_max_minor=price_max_minor,
            limit=limit,
            offset=offset,
        )
    if terms and type in ("all", "creators"):
        found["creators"] = creator_search(terms=terms, limit=limit, offset=offset)
    return SearchResults(query=query, terms=terms, sections=list(found), **found)


def video_search(
    *, terms: list[str], category_slug: str | None = None, limit: int = 10, offset: int = 0
) -> SearchSection:
    """Published, approved, playable videos matching ``terms``, best first."""
    qs = ShortVideo.objects.filter(visible_q(), asset__status="ready")
    if category_slug:
        qs = qs.filter(category__slug=category_slug)
    popularity = F("like_count") + F("favorite_count") + F("share_count") + F("view_count") / 10.0
    qs = (
        qs.select_related("creator__creator_profile", "category", "asset", "course")
        .prefetch_related("tags")
        .order_by()
    )
    section = _ranked_section(qs, terms=terms, popularity=popularity, limit=limit, offset=offset)
    moments = screen_moments(section.results, terms)
    for video in section.results:
        video.screen_moment = moments.get(video.pk)  # the result links to that second
    return section


def course_search(
    *,
    terms: list[str],
    category_slug: str | None = None,
    pricing: Pricing | None = None,
    price_min_minor: int | None = None,
    price_max_minor: int | None = None,
    limit: int = 10,
    offset: int = 0,
) -> SearchSection:
    """Published, approved courses matching ``terms`` and the price filters, best first."""
    qs = Course.objects.filter(course_visible_q())
    if category_slug:
        qs = qs.filter(category__slug=category_slug)
    if pricing == "free":
        qs = qs.filter(price_minor=0)
    elif pricing == "paid":
        qs = qs.filter(price_minor__gt=0)
    if price_min_minor is not None:
        qs = qs.filter(price_minor__gte=price_min_minor)
    if price_max_minor is not None:
        qs = qs.filter(price_minor__lte=price_max_minor)
    # Enrolments plus the average rating (0-5) counted as a few enrolments.
    rating = Case(
        When(rating_count__gt=0, then=Cast(F("rating_sum"), FloatField()) / F("rating_count")),
        default=Value(0.0),
        output_field=FloatField(),
    )
    popularity = F("enrollment_count") + rating * 2
    qs = qs.select_related("creator__creator_profile", "category").order_by()
    return _ranked_section(qs, terms=terms, popularity=popularity, limit=limit, offset=offset)


def creator_search(*, terms: list[str], limit: int = 10, offset: int = 0) -> SearchSection:
    """Active creators whose username, display name, handle or bio match, best first.

    Names are short and few, so this is a substring match on both backends;
    relevance is the summed length of the matched terms, then followers.
    """
    user_model = get_user_model()
    fields = ("username", "display_name", "creator_profile__handle", "creator_profile__bio")
    matches = [_any_field_contains(fields, term) for term in terms]
    qs = user_model.objects.filter(creator_q(), is_active=True).order_by()
    relevance = _summed_length(matches, terms)
    popularity = F("creator_profile__follower_count")
    qs = qs.select_related("creator_profile")
    return _section(qs, matches, terms, relevance, popularity, limit=limit, offset=offset)


def highlight(text: str, terms: list[str]) -> SafeString:
    """Escape ``text`` and wrap each case-insensitive match of ``terms`` in <mark>.

    Matches are found on the raw text and every piece is escaped on its own,
    so markup in a title stays text and a term never matches inside an
    entity such as ``&amp;``.
    """
    if not terms:
        return escape(text)
    pattern = re.compile(
        "|".join(re.escape(t) for t in sorted(set(terms), key=len, reverse=True)), re.IGNORECASE
    )
    pieces: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        pieces.append(f"<mark>{escape(match.group())}</mark>")
        position = match.end()
    pieces.append(escape(text[position:]))
    return mark_safe("".join(pieces))  # every piece was escaped above


def _ranked_section(
    qs: QuerySet[Any], *, terms: list[str], popularity: Any, limit: int, offset: int
) -> SearchSection:
    """Match ``qs`` on its ``search_text`` with the backend's text search;
    without terms, all of ``qs``, most popular first."""
    if not terms:
        page = qs.annotate(popularity=popularity).order_by("-popularity", "-pk")
        return SearchSection(count=qs.count(), results=list(page[offset : offset + limit]))
    if connection.vendor == "postgresql":
        vector = SearchVector("search_text", config=TS_CONFIG)
        qs = qs.annotate(search_vector=vector)
        queries = [SearchQuery(t, config=TS_CONFIG, search_type="plain") for t in terms]
        matches = [Q(search_vector=query) for query in queries]
        any_query = queries[0]
        for query in queries[1:]:
            any_query = any_query | query
        relevance: Any = SearchRank(F("search_vector"), any_query)
    else:
        padded = Concat(Value(" "), "search_text", Value(" "), output_field=TextField())
        qs = qs.annotate(search_padded=padded)
        matches = [Q(search_padded__contains=f" {t} ") for t in terms]
        relevance = _summed_length(matches, terms)
    return _section(qs, matches, terms, relevance, popularity, limit=limit, offset=offset)


def _section(
    qs: QuerySet[Any],
    matches: list[Q],
    terms: list[str],
    relevance: Any,
    popularity: Any,
    *,
    limit: int,
    offset: int,
) -> SearchSection:
    """Count AND and OR matches in one query, then fetch the page of the mode used.

    The OR fallback ignores one-character terms when longer ones exist: 的 or
    a lone letter alone says little about what the person wanted.
    """
    telling = [m for m, t in zip(matches, terms, strict=True) if len(t) > 1] or matches
    match_all, match_any = _combine(matches, all_=True), _combine(telling, all_=False)
    counts = qs.filter(match_any).aggregate(n_all=Count("pk", filter=match_all), n_any=Count("pk"))
    matched_all = counts["n_all"] > 0
    count = counts["n_all"] if matched_all else counts["n_any"]
    if count == 0 or offset >= count:
        return SearchSection(count=count, results=[], matched_all_terms=matched_all)
    damped = Ln(Value(1.0) + popularity)
    boost = Value(POPULARITY_MAX_BOOST) * damped / (damped + Value(POPULARITY_HALF_AT))
    score = relevance * (Value(1.0) + boost)
    page = (
        qs.filter(match_all if matched_all else match_any)
        .annotate(search_score=score)
        .order_by("-search_score", "-pk")[offset : offset + limit]
    )
    return SearchSection(count=count, results=list(page), matched_all_terms=matched_all)


def _combine(matches: list[Q], *, all_: bool) -> Q:
    combined = matches[0]
    for match in matches[1:]:
        combined = (combined & match) if all_ else (combined | match)
    return combined


def _summed_length(matches: list[Q], terms: list[str]) -> Any:
    """Relevance without a text-search engine: the length of every matched term."""
    parts = [
        Case(When(match, then=Value(float(len(term)))), default=Value(0.0))
        for match, term in zip(matches, terms, strict=True)
    ]
    total: Any = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


def _any_field_contains(fields: tuple[str, ...], term: str) -> Q:
    match = Q()
    for name in fields:
        match |= Q(**{f"{name}__icontains": term})
    return match
