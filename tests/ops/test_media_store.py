"""Operating the object store: preparing the bucket and checking it before start-up."""

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from common.storage import as_media_store, public_read_policy
from ops.config import ObjectStore, media_storage, media_store_origins
from ops.management.commands.prod_check import _store_writable


def test_the_policy_opens_the_public_prefixes_only() -> None:
    policy = json.loads(public_read_policy("kf-media", location="site-a"))
    [statement] = policy["Statement"]
    assert statement["Principal"] == "*"
    assert statement["Action"] == ["s3:GetObject"]
    assert sorted(statement["Resource"]) == [
        "arn:aws:s3:::kf-media/site-a/avatars/*",
        "arn:aws:s3:::kf-media/site-a/covers/*",
        "arn:aws:s3:::kf-media/site-a/posters/*",
        "arn:aws:s3:::kf-media/site-a/videos/*",
    ]


def test_a_cdn_address_becomes_the_public_domain_and_a_csp_source() -> None:
    store = ObjectStore(
        bucket="kf-media",
        endpoint_url="https://oss-cn-hangzhou.aliyuncs.com",
        public_url="https://media.example.com/kf",
    )
    options = media_storage(store)["OPTIONS"]
    assert (options["custom_domain"], options["url_protocol"]) == ("media.example.com/kf", "https:")
    assert options["querystring_auth"] is False
    assert options["file_overwrite"] is False
    assert media_store_origins(store) == [
        "https://media.example.com",
        "https://oss-cn-hangzhou.aliyuncs.com",
        "https://kf-media.oss-cn-hangzhou.aliyuncs.com",
    ]
    assert media_storage(None)["BACKEND"].endswith("FileSystemStorage")


def test_prepare_refuses_the_local_folder() -> None:
    with pytest.raises(CommandError, match="local disk"):
        call_command("media_store_prepare")


@pytest.mark.django_db
def test_prepare_and_prod_check_against_the_store(object_store: Any, settings: Any) -> None:
    out = StringIO()
    call_command("media_store_prepare", stdout=out)
    assert f"Found bucket {object_store.bucket_name}" in out.getvalue()
    assert _store_writable(object_store).ok
    # when: the store cannot be reached
    options = {**settings.STORAGES["default"]["OPTIONS"], "endpoint_url": "http://127.0.0.1:9"}
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": options},
    }
    # then
    from django.core.files.storage import default_storage

    unreachable = as_media_store(default_storage)
    assert unreachable is not None
    check = _store_writable(unreachable)
    assert not check.ok
    assert object_store.bucket_name in check.detail


def test_nginx_balances_every_web_node_named_in_kf_nginx_upstream() -> None:
    from ops.nginx_conf import nginx_conf_render, nginx_values_from_env

    values = nginx_values_from_env(
        {
            "KF_TLS_CERTIFICATE": "/tls.crt",
            "KF_TLS_CERTIFICATE_KEY": "/tls.key",
            "GUNICORN_BIND": "127.0.0.1:8000",
            "KF_NGINX_UPSTREAM": "10.0.0.1:8000, 10.0.0.2:8000",
        },
        allowed_hosts=["example.com"],
        static_root="/srv/static",
        media_root="/srv/media",
        accel_prefix="/protected/",
    )
    conf = nginx_conf_render(values)
    upstream = conf[conf.index("upstream kfplatform_app {") :].split("}")[0]
    assert "server 10.0.0.1:8000;" in upstream
    assert "server 10.0.0.2:8000;" in upstream
    assert "8000," not in upstream
