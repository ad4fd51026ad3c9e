from django.urls import path

from .views import CourseRecommendationsApi, FeedRecommendationsApi, SimilarItemsApi, UpNextApi

urlpatterns = [
    path("feed", FeedRecommendationsApi.as_view(), name="recommendations-feed"),
    path("courses", CourseRecommendationsApi.as_view(), name="recommendations-courses"),
    path("similar/<str:item_key>", SimilarItemsApi.as_view(), name="recommendations-similar"),
    path("up-next/<str:item_key>", UpNextApi.as_view(), name="recommendations-up-next"),
]
