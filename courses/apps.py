from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from django.db.models import F

        from analytics.services import (
            owner_lookup_register,
            satisfaction_source_register,
            video_duration_lookup_register,
        )
        from common.lookups import AnyOf

        from .models import Course, ShortVideo
        from .satisfaction import satisfaction_counts_between

        def column_of(
            model: type[Course] | type[ShortVideo], column: str
        ) -> Callable[[set[int]], dict[int, Any]]:
            # ingestion asks about a whole batch's ids at once: one array parameter
            return lambda ids: dict(
                model.objects.filter(AnyOf(F("pk"), ids)).values_list("pk", column)
            )

        owner_lookup_register("video", column_of(ShortVideo, "creator_id"))
        owner_lookup_register("course", column_of(Course, "creator_id"))
        # the analytics breakdown by category (analytics.rollups.breakdowns)
        owner_lookup_register("video_category", column_of(ShortVideo, "category_id"))
        owner_lookup_register("course_category", column_of(Course, "category_id"))
        video_duration_lookup_register(column_of(ShortVideo, "duration_seconds"))
        # ratings and surveys per course and day (analytics.rollups.satisfaction)
        satisfaction_source_register(satisfaction_counts_between)
