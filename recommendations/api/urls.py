from django.urls import path

from .views import CourseRecommendationsApi, FeedRecommendationsApi, SimilarItemsApi

urlpatterns = [
    path("feed", FeedRecommendationsApi.as_view(), name="recommendations-feed"),
    path("courses", CourseRecommendationsApi.as_view(), name="recommendations-courses"),
    path("similar/<str:item_key>", SimilarItemsApi.as_view(), name="recommendations-similar"),
]
