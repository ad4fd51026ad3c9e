from django.contrib import admin

from .models import (
    Category,
    Comment,
    Course,
    Enrollment,
    Favorite,
    Lesson,
    LessonProgress,
    Like,
    MediaAsset,
    Report,
    Review,
    Section,
    ShortVideo,
    Tag,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "name_zh", "slug", "position")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name", "slug")


@admin.register(MediaAsset)
class MediaAssetAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "owner",
        "kind",
        "status",
        "duration_seconds",
        "width",
        "height",
        "created_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("owner__username", "file")
    raw_id_fields = ("owner",)


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0


class LessonInline(admin.TabularInline):
    model = Lesson
    extra = 0
    raw_id_fields = ("asset", "section")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "creator",
        "category",
        "price_minor",
        "currency",
        "status",
        "moderation",
        "enrollment_count",
        "published_at",
    )
    list_filter = ("status", "moderation", "category", "currency")
    search_fields = ("title", "slug", "creator__username")
    raw_id_fields = ("creator",)
    filter_horizontal = ("tags",)
    inlines = [SectionInline, LessonInline]
    list_select_related = ("creator", "category")


@admin.register(ShortVideo)
class ShortVideoAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "creator",
        "category",
        "course",
        "status",
        "moderation",
        "view_count",
        "like_count",
        "published_at",
    )
    list_filter = ("status", "moderation", "category")
    search_fields = ("title", "creator__username")
    raw_id_fields = ("creator", "asset", "course")
    filter_horizontal = ("tags",)
    list_select_related = ("creator", "category", "course")


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "source", "is_active", "created_at")
    list_filter = ("source", "is_active")
    search_fields = ("user__username", "course__title")
    raw_id_fields = ("user", "course")
    list_select_related = ("user", "course")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "author", "video", "is_removed", "created_at")
    list_filter = ("is_removed",)
    search_fields = ("body", "author__username")
    raw_id_fields = ("author", "video", "parent")
    list_select_related = ("author", "video")


@admin.register(Like, Favorite)
class ReactionAdmin(admin.ModelAdmin):
    list_display = ("user", "video", "created_at")
    search_fields = ("user__username", "video__title")
    raw_id_fields = ("user", "video")
    list_select_related = ("user", "video")


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("course", "author", "rating", "created_at")
    list_filter = ("rating",)
    search_fields = ("course__title", "author__username", "body")
    raw_id_fields = ("course", "author")
    list_select_related = ("course", "author")


@admin.register(LessonProgress)
class LessonProgressAdmin(admin.ModelAdmin):
    list_display = ("user", "lesson", "position_seconds", "watched_seconds", "completed_at")
    search_fields = ("user__username", "lesson__title")
    raw_id_fields = ("user", "lesson", "course")
    list_select_related = ("user", "lesson")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("id", "reason", "status", "reporter", "video", "comment", "created_at")
    list_filter = ("status", "reason")
    search_fields = ("details", "reporter__username")
    raw_id_fields = ("reporter", "video", "comment")
    list_select_related = ("reporter", "video", "comment")
