from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("Common")

    def ready(self) -> None:
        from django.urls import register_converter

        from .converters import IdConverter, OrderNumberConverter

        register_converter(IdConverter, "id")  # before any urls module is imported
        register_converter(OrderNumberConverter, "order_number")
