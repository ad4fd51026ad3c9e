from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import CreatorProfile, Follow, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "display_name", "is_staff", "date_joined", "last_login")
    list_filter = ("is_staff", "is_active", "is_personalization_enabled")
    search_fields = ("username", "email", "display_name")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        (
            "Profile",
            {"fields": ("display_name", "language", "interests", "is_personalization_enabled")},
        ),
    )


@admin.register(CreatorProfile)
class CreatorProfileAdmin(admin.ModelAdmin):
    list_display = ("handle", "user", "follower_count", "is_verified", "created_at")
    list_filter = ("is_verified",)
    search_fields = ("handle", "user__username", "bio")
    raw_id_fields = ("user",)


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("follower", "creator", "created_at")
    search_fields = ("follower__username", "creator__username")
    raw_id_fields = ("follower", "creator")
