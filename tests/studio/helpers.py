"""Drive the upload protocol the way upload.js does."""

from contextlib import nullcontext
from typing import Any

from rest_framework.test import APIClient


def upload_open(
    client: APIClient, size: int, *, purpose: str = "short", name: str = "clip.mp4"
) -> Any:
    return client.post(
        "/api/v1/studio/uploads",
        {"purpose": purpose, "filename": name, "size_bytes": size},
        format="json",
    )


def chunk_put(client: APIClient, url: str, data: bytes, start: int, total: int) -> Any:
    return client.put(
        url,
        data=data,
        content_type="application/octet-stream",
        HTTP_CONTENT_RANGE=f"bytes {start}-{start + len(data) - 1}/{total}",
    )


def upload_all(
    client: APIClient,
    data: bytes,
    *,
    purpose: str = "short",
    chunk: int = 64 * 1024,
    on_commit: Any = None,
) -> Any:
    """Upload in chunks; returns the last response (201 when complete).

    Pass ``django_capture_on_commit_callbacks`` as ``on_commit`` to run the
    (eager) processing the last chunk queues; read the asset from the DB then.
    """
    with on_commit(execute=True) if on_commit else nullcontext():
        opened = upload_open(client, len(data), purpose=purpose)
        assert opened.status_code == 201, opened.json()
        url = opened.json()["upload_url"]
        response = opened
        for start in range(0, len(data), chunk):
            response = chunk_put(client, url, data[start : start + chunk], start, len(data))
            if response.status_code >= 400:
                break
    return response
