"""Fill deploy/nginx.conf's placeholders: ``make prod-nginx-conf`` and the tests.

Values come from the settings (static and media roots, hosts, the
X-Accel prefix) and a few nginx-only variables (listen addresses, TLS
files, where nginx keeps its pid, logs and temporary files). The defaults
are Debian's nginx layout, so the rendered file replaces
/etc/nginx/nginx.conf as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"


class NginxConfError(ValueError):
    """A value the file needs is missing; the message says which variable."""


@dataclass(frozen=True)
class NginxValues:
    upstream: str
    server_name: str
    http_listen: str
    https_listen: str
    tls_certificate: str
    tls_certificate_key: str
    static_root: str
    media_root: str
    accel_prefix: str
    user: str = "www-data"
    pid: str = "/run/nginx.pid"
    error_log: str = "/var/log/nginx/error.log"
    access_log: str = "/var/log/nginx/access.log"
    temp: str = "/var/lib/nginx"
    mime_types: str = "/etc/nginx/mime.types"


def _https_port_suffix(listen: str) -> str:
    port = listen.rsplit(":", 1)[-1].split()[0]
    return "" if port == "443" else f":{port}"


def nginx_conf_render(values: NginxValues) -> str:
    """deploy/nginx.conf with every placeholder replaced."""
    text = TEMPLATE.read_text()
    fields = asdict(values)
    fields["user"] = f"user {values.user};" if values.user else ""
    fields["https_port_suffix"] = _https_port_suffix(values.https_listen)
    # Several web nodes (KF_NGINX_UPSTREAM=a:8000,b:8000): one server line each.
    nodes = [node.strip() for node in values.upstream.split(",") if node.strip()]
    servers = "\n        ".join(f"server {node};" for node in nodes)
    text = text.replace("server __UPSTREAM__;", servers)
    for name, value in fields.items():
        text = text.replace(f"__{name.upper()}__", str(value))
    leftover = [
        line for line in text.splitlines() if "__" in line and not line.lstrip().startswith("#")
    ]
    if leftover:
        raise NginxConfError(f"unfilled placeholders: {leftover}")
    return text


def nginx_values_from_env(
    environ: Mapping[str, str],
    *,
    allowed_hosts: list[str],
    static_root: str,
    media_root: str,
    accel_prefix: str,
) -> NginxValues:
    """The values for a production host: settings plus the KF_NGINX_* / KF_TLS_* variables.

    ``KF_NGINX_RUN_DIR`` puts the pid, logs and temporary files under one
    folder (to run nginx beside a system one, or without root).
    """
    certificate = environ.get("KF_TLS_CERTIFICATE", "")
    key = environ.get("KF_TLS_CERTIFICATE_KEY", "")
    missing = [
        name
        for name, value in (("KF_TLS_CERTIFICATE", certificate), ("KF_TLS_CERTIFICATE_KEY", key))
        if not value
    ]
    if missing:
        raise NginxConfError(
            f"{' and '.join(missing)} missing: put the paths of the TLS certificate (full "
            "chain) and its key, e.g. /etc/letsencrypt/live/example.com/fullchain.pem and "
            "privkey.pem (README, 'Production')"
        )
    if not accel_prefix:
        raise NginxConfError("COURSES_MEDIA_ACCEL_PREFIX missing: put /protected/")
    run_dir = environ.get("KF_NGINX_RUN_DIR", "")
    layout = {}
    if run_dir:
        run = Path(run_dir).resolve()
        layout = {
            "pid": str(run / "nginx.pid"),
            "error_log": str(run / "error.log"),
            "access_log": str(run / "access.log"),
            "temp": str(run / "tmp"),
        }
    return NginxValues(
        upstream=environ.get("KF_NGINX_UPSTREAM") or environ.get("GUNICORN_BIND", "127.0.0.1:8000"),
        server_name=" ".join(h for h in allowed_hosts if h != "*") or "_",
        http_listen=environ.get("KF_NGINX_HTTP_LISTEN", "80"),
        https_listen=environ.get("KF_NGINX_HTTPS_LISTEN", "443"),
        tls_certificate=str(Path(certificate).resolve()),
        tls_certificate_key=str(Path(key).resolve()),
        static_root=str(Path(static_root).resolve()),
        media_root=str(Path(media_root).resolve()),
        accel_prefix=accel_prefix,
        user=environ.get("KF_NGINX_USER", "www-data"),
        **layout,
    )
