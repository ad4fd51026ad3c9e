from django.urls import path

from .views import CreatorFollowApi, PreferencesApi

urlpatterns = [
    path("creators/<id:creator_id>/follow", CreatorFollowApi.as_view(), name="creator-follow"),
    path("me/preferences", PreferencesApi.as_view(), name="me-preferences"),
]
