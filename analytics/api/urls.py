from django.urls import path

from .views import EventBatchApi

urlpatterns = [
    path("events/batch", EventBatchApi.as_view(), name="events-batch"),
]
