from django.contrib import admin

from .models import Event, Subject


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("id", "ts", "type", "subject_id", "video_id", "course_id", "value", "source")
    list_filter = ("type", "source")
    search_fields = ("subject_id", "session_id", "client_event_id")
    date_hierarchy = "ts"
    show_full_result_count = False  # COUNT(*) over millions of events is slow

    def has_change_permission(self, request, obj=None):
        return False  # append-only


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ("key", "user_id", "anonymous_id", "created_at")
    search_fields = ("key", "=user_id", "anonymous_id")
