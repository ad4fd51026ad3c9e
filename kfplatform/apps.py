from django.apps import AppConfig


class KfplatformConfig(AppConfig):
    name = "kfplatform"
    verbose_name = "Platform"
