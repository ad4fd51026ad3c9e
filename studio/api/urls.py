from django.urls import path

from .views import AssetDetailApi, AssetRetryApi, UploadCreateApi, UploadDetailApi

app_name = "studio"

urlpatterns = [
    path("uploads", UploadCreateApi.as_view(), name="upload-create"),
    path("uploads/<uuid:session_id>", UploadDetailApi.as_view(), name="upload-detail"),
    path("assets/<id:asset_id>", AssetDetailApi.as_view(), name="asset-detail"),
    path("assets/<id:asset_id>/retry", AssetRetryApi.as_view(), name="asset-retry"),
]
