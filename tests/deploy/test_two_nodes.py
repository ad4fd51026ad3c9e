"""Stateless nodes, proven (issue 16, item 2): two web nodes with separate disks
behind one nginx upstream, two workers, one PostgreSQL, Redis, broker and object store.

Node A runs gunicorn and the default-queue worker, node B gunicorn and the
media worker, each with its own DJANGO_MEDIA_ROOT. nginx balances requests
round robin, so a creator's upload chunks land on both nodes; the worker on
node B transcodes from the store, a buyer pays and streams the lesson from
the store's signed URL, and neither node's disk holds a media file.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests

from demo.clips import ClipSpec, render_clip
from tests.conftest import wait_until
from tests.media_store import S3Server

from .servers import free_port, nginx_running, rabbitmq_vhost, redis_server, wait_for_port
from .stack import Stack, fresh_database

# Not in test_production.py's xdist group: this stack is its own (database, Redis, vhost, ports,
# folders), and pinned to the production group's worker it made that worker the suite's critical
# path (about 3.5 minutes at idle); on the other worker it runs beside the production stack.
pytestmark = pytest.mark.services

NODES = ("a", "b")


def _node_env(stack: Stack, node: str, port: int) -> dict[str, str]:
    folder = stack.folder / f"node-{node}"
    (folder / "media").mkdir(parents=True, exist_ok=True)
    return {
        **stack.env,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_CONTROL_SOCKET": str(folder / "gunicorn.ctl"),
        "DJANGO_MEDIA_ROOT": str(folder / "media"),
        "KF_METRICS_DIR": str(folder / "metrics"),
    }


@pytest.fixture(scope="module")
def two_nodes(
    tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server
) -> Iterator[tuple[Stack, dict[str, int]]]:
    folder = tmp_path_factory.mktemp("two-nodes")
    with ExitStack() as exits:
        database = exits.enter_context(fresh_database())
        (folder / "redis").mkdir()
        redis = exits.enter_context(redis_server(folder / "redis"))
        broker = exits.enter_context(rabbitmq_vhost())
        stack = Stack(folder, database, redis, broker)
        exits.callback(stack.procs.stop_all)
        ports = {node: free_port() for node in NODES}
        stack.env |= {
            "KF_MEDIA_STORAGE": "s3",
            "KF_S3_BUCKET": f"kf-two-nodes-{uuid.uuid4().hex[:8]}",
            "KF_S3_ENDPOINT_URL": s3_server.endpoint_url,
            "KF_S3_ACCESS_KEY_ID": s3_server.access_key_id,
            "KF_S3_SECRET_ACCESS_KEY": s3_server.secret_access_key,
            "KF_S3_ADDRESSING_STYLE": "path",
            "KF_NGINX_UPSTREAM": ",".join(f"127.0.0.1:{ports[n]}" for n in NODES),
        }

        # Side by side, each a Django process start or more (test_production.py keeps
        # README's order): only the store check needs the bucket first.
        def prepare_store_and_check() -> None:
            stack.prod_python("manage.py", "media_store_prepare")
            stack.make("prod-check")

        with ThreadPoolExecutor(4) as pool:
            steps: list[Future[object]] = [
                pool.submit(stack.make, step)
                for step in ("prod-migrate", "prod-static", "prod-nginx-conf")
            ]
            steps.append(pool.submit(prepare_store_and_check))
            for step in steps:
                step.result()  # raises what the step raised
        exits.enter_context(nginx_running(Path(stack.env["KF_NGINX_CONF"]), stack.https_port))
        # The nodes start while the data is arranged: nothing asks them anything before.
        env = {node: _node_env(stack, node, ports[node]) for node in NODES}
        for node, services in (("a", ("web", "worker-default")), ("b", ("web", "worker-media"))):
            for service in services:
                argv = ["make", "--no-print-directory", f"prod-{service}"]
                stack.procs.start(f"{service}-{node}", argv, env[node])
        arranged = stack.prod_python("tests/deploy/arrange.py").strip().splitlines()[-1]
        stack.data |= json.loads(arranged)
        for node in NODES:
            assert wait_for_port(ports[node], timeout=120), stack.procs.log(f"web-{node}")
        assert stack.wait_serving(), stack.procs.log("web-a")[-3000:]
        yield stack, ports


def _requests_on(stack: Stack, port: int, view: str) -> float:
    """Requests node ``port`` served for views named ``*view``, from its own /metrics."""
    response = requests.get(
        f"http://127.0.0.1:{port}/metrics",
        headers={"Authorization": f"Bearer {stack.metrics_token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    pattern = re.compile(
        r'^django_http_requests_total_by_view_transport_method_total\{[^}]*view="[^"]*'
        + re.escape(view)
        + r'"[^}]*\} ([0-9.e+]+)$',
        re.MULTILINE,
    )
    return sum(float(found) for found in pattern.findall(response.text))


def _files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()]


def test_upload_on_both_nodes_transcode_on_the_other_and_stream_to_the_buyer(
    two_nodes: tuple[Stack, dict[str, int]], tmp_path: Path
) -> None:
    stack, ports = two_nodes
    data: dict[str, Any] = stack.data
    course = data["courses"][0]
    # given: a creator with a lesson video over 720p (the media worker must transcode it)
    source = tmp_path / "lesson.mp4"
    render_clip(ClipSpec(caption="nodes", hue=0.5, seconds=1.0, width=1080, height=1920), source)
    creator = stack.client()
    creator.login(data["creator"], data["password"])
    # when: the upload goes through nginx in chunks (round robin: both nodes take some)
    body = source.read_bytes()
    chunk = len(body) // 6 + 1  # six chunks, whatever the clip's size
    asset_id = creator.upload(body, purpose="lesson", filename="lesson.mp4", chunk=chunk)
    # then: the worker on node B makes it ready from the store
    assert wait_until(
        lambda: (
            stack.sql("SELECT status FROM courses_mediaasset WHERE id = %s", asset_id)[0][0]
            == "ready"
        ),
        timeout=240,
    ), stack.procs.log("worker-media-b")[-3000:]
    [(name, width, height)] = stack.sql(
        "SELECT file, width, height FROM courses_mediaasset WHERE id = %s", asset_id
    )
    assert (width, height) == (720, 1280)
    assert name.startswith("private/videos/")
    # when: the creator's lesson plays this video, and a buyer pays and opens it
    stack.sql(
        "UPDATE courses_lesson SET asset_id = %s WHERE id = %s RETURNING id",
        asset_id,
        course["lesson_id"],
    )
    buyer = stack.client()
    buyer.login(data["buyers"][0], data["password"])
    buyer.buy(course["id"])
    page = buyer.get(f"/lessons/{course['lesson_id']}/")
    assert page.status_code == 200, page.status_code
    found = re.search(r'id="player"[^>]*src="([^"]+)"', page.text)
    assert found is not None
    media_link = html.unescape(found.group(1))
    answer = buyer.get(media_link, allow_redirects=False)
    # then: a redirect to the store, whose signed URL serves the transcoded file
    assert answer.status_code == 302, answer.status_code
    store = requests.Session()
    store.trust_env = False
    played = store.get(answer.headers["Location"], headers={"Range": "bytes=0-1023"}, timeout=60)
    assert played.status_code == 206
    assert played.content[4:8] == b"ftyp"
    # and: someone who did not buy gets nothing, with the buyer's link or without
    stranger = stack.client()
    stranger.login(data["buyers"][1], data["password"])
    assert stranger.get(media_link, allow_redirects=False).status_code == 403
    # and: both nodes took upload chunks, and neither keeps a media file
    chunks = -(-len(body) // chunk)
    assert chunks == 6
    for node in NODES:
        assert _requests_on(stack, ports[node], ":upload-detail") >= 1, node
        assert _files(stack.folder / f"node-{node}" / "media") == [], node
