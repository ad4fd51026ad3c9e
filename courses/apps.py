from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from analytics.services import (
            OwnerLookup,
            owner_lookup_register,
            satisfaction_source_register,
            video_duration_lookup_register,
        )

        from .models import Course, ShortVideo
        from .satisfaction import satisfaction_counts_between

        def creators(model: type[Course] | type[ShortVideo]) -> OwnerLookup:
            return lambda ids: dict(
                model.objects.filter(pk__in=ids).values_list("pk", "creator_id")
            )

        def categories(model: type[Course] | type[ShortVideo]) -> OwnerLookup:
            return lambda ids: dict(
                model.objects.filter(pk__in=ids).values_list("pk", "category_id")
            )

        owner_lookup_register("video", creators(ShortVideo))
        owner_lookup_register("course", creators(Course))
        # the analytics breakdown by category (analytics.rollups.breakdowns)
        owner_lookup_register("video_category", categories(ShortVideo))
        owner_lookup_register("course_category", categories(Course))
        video_duration_lookup_register(
            lambda ids: dict(
                ShortVideo.objects.filter(pk__in=ids).values_list("pk", "duration_seconds")
            )
        )
        # ratings and surveys per course and day (analytics.rollups.satisfaction)
        satisfaction_source_register(satisfaction_counts_between)
