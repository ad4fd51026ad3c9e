from django.urls import path

from .reports import BreakdownApi, CustomFunnelApi, EventRetentionApi
from .views import EventBatchApi

urlpatterns = [
    path("events/batch", EventBatchApi.as_view(), name="events-batch"),
    path("analytics/breakdown", BreakdownApi.as_view(), name="analytics-breakdown"),
    path("analytics/funnel", CustomFunnelApi.as_view(), name="analytics-funnel"),
    path("analytics/retention", EventRetentionApi.as_view(), name="analytics-retention"),
]
