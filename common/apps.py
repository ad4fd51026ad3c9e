from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from django.urls import register_converter

        from .converters import IdConverter, OrderNumberConverter

        register_converter(IdConverter, "id")  # before any urls module is imported
        register_converter(OrderNumberConverter, "order_number")
