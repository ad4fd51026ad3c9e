import os
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.nginx_conf import NginxConfError, nginx_conf_render, nginx_values_from_env


class Command(BaseCommand):
    help = "Write deploy/nginx.conf filled in for this host (make prod-nginx-conf)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", default="var/deploy/nginx.conf", help="where to write it")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            values = nginx_values_from_env(
                os.environ,
                allowed_hosts=list(settings.ALLOWED_HOSTS),
                static_root=str(settings.STATIC_ROOT),
                media_root=str(settings.MEDIA_ROOT),
                accel_prefix=str(settings.COURSES_MEDIA_ACCEL_PREFIX),
            )
            text = nginx_conf_render(values)
        except NginxConfError as exc:
            raise CommandError(str(exc)) from exc
        if os.environ.get("KF_NGINX_RUN_DIR"):
            (Path(os.environ["KF_NGINX_RUN_DIR"]) / "tmp").mkdir(parents=True, exist_ok=True)
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text)
        self.stdout.write(f"Wrote {output} (check it with: nginx -t -c {output.resolve()})")
