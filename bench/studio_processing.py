"""Studio benchmarks: processing a 60 s 1080p clip, and upload throughput.

    .venv/bin/python bench/studio_processing.py [--seconds 60] [--upload-mib 128]

1. Renders a 1920×1080 H.264/AAC clip with PyAV (demo.clips), then
   times each processing step the media task runs: probe, transcode to
   ≤720p fast-start MP4 (the clip is over 720p, so it is transcoded), probe
   of the output, poster frame.
2. Pushes ``--upload-mib`` MiB through the real chunk endpoint (PUT with
   Content-Range, 8 MiB chunks, the page's default) with Django's in-process
   test client on a throwaway SQLite database: it measures the server side
   (spooling, fsync, row lock), not a network. Processing is not queued.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
WORK = Path(tempfile.mkdtemp(prefix="kf-bench-studio-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kfplatform.settings.test")
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'bench.sqlite3'}"
os.environ["DJANGO_MEDIA_ROOT"] = str(WORK / "media")
os.environ.pop("CELERY_BROKER_URL", None)
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"


def bench_processing(seconds: float) -> Path:
    from courses.media.probe import poster_frame, probe
    from courses.media.transcode import transcode
    from demo.clips import ClipSpec, render_clip

    source = WORK / "source-1080p.mp4"
    started = time.perf_counter()
    render_clip(
        ClipSpec(caption="bench", hue=0.7, seconds=seconds, width=1920, height=1080), source
    )
    print(f"render source: {seconds:.0f} s 1920x1080 clip, {source.stat().st_size / 1e6:.1f} MB "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    timings = {}
    t = time.perf_counter()
    info = probe(source)
    timings["probe"] = time.perf_counter() - t
    target = WORK / "out.mp4"
    t = time.perf_counter()
    transcode(source, target)
    timings["transcode"] = time.perf_counter() - t
    t = time.perf_counter()
    out = probe(target)
    timings["probe output"] = time.perf_counter() - t
    t = time.perf_counter()
    poster_frame(target)
    timings["poster"] = time.perf_counter() - t
    total = sum(timings.values())
    print(f"source: {info.width}x{info.height} {info.video_codec}/{info.audio_codec}, "
          f"needs transcode: {info.needs_transcode}")  # fmt: skip
    print(f"output: {out.width}x{out.height} {out.video_codec}/{out.audio_codec}, "
          f"fast start: {out.is_fast_start}, {target.stat().st_size / 1e6:.1f} MB")  # fmt: skip
    for step, value in timings.items():
        print(f"  {step:<13} {value:7.2f} s")
    print(f"processing total: {total:.2f} s for {seconds:.0f} s of video "
          f"= {seconds / total:.2f}x real time")  # fmt: skip
    return source


def bench_upload(source: Path, mib: int) -> None:
    import django

    django.setup()
    from unittest import mock

    from django.core.management import call_command
    from rest_framework.test import APIClient

    from tests.factories import CreatorProfileFactory

    call_command("migrate", verbosity=0)
    creator = CreatorProfileFactory.create().user
    client = APIClient()
    client.force_authenticate(creator)
    head = source.read_bytes()[: 1024 * 1024]
    payload = head + os.urandom(mib * 1024 * 1024 - len(head))
    chunk = 8 * 1024 * 1024
    with mock.patch("courses.media.services.media_asset_process_task.delay"):
        opened = client.post(
            "/api/v1/studio/uploads",
            {"purpose": "lesson", "filename": "bench.mp4", "size_bytes": len(payload)},
            format="json",
        )
        url = opened.json()["upload_url"]
        latencies = []
        started = time.perf_counter()
        for start in range(0, len(payload), chunk):
            body = payload[start : start + chunk]
            t = time.perf_counter()
            response = client.put(
                url,
                data=body,
                content_type="application/octet-stream",
                HTTP_CONTENT_RANGE=f"bytes {start}-{start + len(body) - 1}/{len(payload)}",
            )
            latencies.append(time.perf_counter() - t)
            assert response.status_code in (200, 201), response.content
        elapsed = time.perf_counter() - started
    print(f"upload: {mib} MiB in {len(latencies)} chunks of 8 MiB: {elapsed:.2f} s "
          f"= {mib / elapsed:.0f} MiB/s; per chunk median {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--upload-mib", type=int, default=128)
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f} (shared machine)")
    source = bench_processing(args.seconds)
    bench_upload(source, args.upload_mib)


if __name__ == "__main__":
    main()
