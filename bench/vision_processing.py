"""Content understanding benchmarks (issue 19): cost, cold start, duplicate hashes.

    .venv/bin/python bench/vision_processing.py [--seconds 60] [--slide-seconds 5 15]
        [--clips-per-topic 6] [--copies 8] [--det-max-side 640] [--skip-cost] [--skip-cold-start]

Needs Debian's fonts-noto-cjk (the clips draw Chinese). No database, no Redis.

1. Cost, pinned to ONE core (CPU affinity, every thread pool at 1): renders a
   ``--seconds`` 1280×720 25 fps lesson, a slide every ``--slide-seconds``
   (5 s: dense, each slide a shot to read; 15 s: a usual pace), then measures
   a. the vision analysis on its own (its own decode): CPU seconds per stage;
   b. the transcode alone (courses.media.transcode, as the media task runs it);
   c. the transcode with the analysis fed from its decode loop
      (``on_video_frame=analyser.offer``): the throughput drop the glue gets.
2. Cold start: renders ``--clips-per-topic`` clips for each of the 16 demo
   topics, titled only "Lesson 3", "第3课"…, the topic on screen only;
   analyses them, then fits the recommender's content model
   (recommendations.engine.content.ContentModel, TF-IDF over jieba) twice:
   on the titles, and on the titles plus the on-screen text (as the
   description). Reports how many of each clip's top-10 content neighbours
   share its topic, both ways, in the same run.
3. Hashes: re-encodes ``--copies`` of those clips at a smaller size and a
   worse quality, and reports the Hamming distances of shot hashes (copy vs
   original; different slides) and the clip containment of copies,
   same-topic other lessons and unrelated clips, against the thresholds.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# One core and one thread everywhere, before numpy/OpenCV/ONNX Runtime load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

from courses.media.transcode import transcode  # noqa: E402
from courses.vision import (  # noqa: E402
    AnalysisOptions,
    ClipMatch,
    VideoAnalyser,
    VideoAnalysis,
    analyse_video,
    clip_similarity,
    hamming,
    screen_text,
)
from courses.vision.hashing import DUPLICATE_CONTAINMENT, MAX_DISTANCE  # noqa: E402
from courses.vision.ocr import DET_MAX_SIDE  # noqa: E402
from demo.slides import (  # noqa: E402
    LESSON_SIZE,
    SHORT_SIZE,
    TOPIC_SLIDES,
    Deck,
    reencode_copy,
    render_deck,
    topic_deck,
)
from recommendations.engine.content import ContentModel  # noqa: E402
from recommendations.engine.types import ItemContent  # noqa: E402

WORK = Path(tempfile.mkdtemp(prefix="kf-bench-vision-"))
OPTIONS = AnalysisOptions(threads=1)  # --det-max-side replaces it


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def pin_to_one_core() -> int:
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


class Timer:
    """Wall and CPU (this process, all threads) seconds of a block."""

    def __enter__(self) -> "Timer":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def bench_cost(seconds: float, slide_seconds: tuple[float, ...]) -> None:
    print(f"\n## 1. Cost of a {seconds:.0f} s 1280x720 25 fps lesson on one core")
    core = pin_to_one_core()
    print(f"pinned to CPU {core}; {load()}")
    for per_slide in slide_seconds:
        bench_cost_once(seconds, per_slide)


def bench_cost_once(seconds: float, per_slide: float) -> None:
    slides = [slide for deck in TOPIC_SLIDES.values() for slide in deck]
    n_slides = max(1, round(seconds / per_slide))
    deck = Deck(
        slides=tuple(random.Random(19).sample(slides, n_slides)),
        seconds_per_slide=seconds / n_slides,
        fps=25,
    )
    source = WORK / f"lesson-720p-{n_slides}.mp4"
    with Timer() as t:
        render_deck(deck, source, crf=23)
    print(f"\n### a slide every {deck.seconds_per_slide:.0f} s: rendered {deck.seconds:.0f} s, "
          f"{n_slides} slides, {source.stat().st_size / 1e6:.1f} MB in {t.wall:.1f} s")  # fmt: skip
    analyse_video(source, options=AnalysisOptions(ocr=True, every_seconds=60))  # load models

    with Timer() as alone:
        analysis = analyse_video(source, options=OPTIONS)
    print(f"a. analysis alone (own decode): {len(analysis.shots)} shots, "
          f"{len(analysis.lines)} text lines; wall {alone.wall:.2f} s, CPU {alone.cpu:.2f} s "
          f"= {alone.cpu / seconds:.3f} x real time (CPU), {alone.wall / seconds:.3f} x (wall)")  # fmt: skip
    print("   stage        CPU s   per keyframe")
    for stage, value in analysis.stage_seconds.items():
        print(f"   {stage:<10} {value:7.2f}   {value / max(len(analysis.keyframes), 1):7.3f}")

    with Timer() as plain:
        transcode(source, WORK / "out-plain.mp4")
    print(f"b. transcode alone: wall {plain.wall:.2f} s, CPU {plain.cpu:.2f} s "
          f"({seconds / plain.cpu:.2f}x real time)")  # fmt: skip

    analyser = VideoAnalyser(OPTIONS)
    with Timer() as shared:
        transcode(source, WORK / "out-shared.mp4", on_video_frame=analyser.offer)
        shared_analysis = analyser.finish()
    extra = shared.cpu - plain.cpu
    print(f"c. transcode + analysis on its decode: wall {shared.wall:.2f} s, CPU {shared.cpu:.2f} s; "
          f"analysis added {extra:.2f} s CPU; shots {len(shared_analysis.shots)}")  # fmt: skip
    print(
        "   stage CPU s: "
        + ", ".join(f"{k} {v:.2f}" for k, v in shared_analysis.stage_seconds.items())
    )
    drop_shared = 1 - plain.cpu / shared.cpu
    drop_separate = 1 - plain.cpu / (plain.cpu + alone.cpu)
    print(f"transcode throughput drop (CPU): shared decode {drop_shared:.0%}, "
          f"separate task {drop_separate:.0%}; wall-clock: shared {1 - plain.wall / shared.wall:.0%}")  # fmt: skip
    print(load())


TITLE_TEMPLATES = ("Lesson {n}", "第{n}课", "Part {n}", "Episode {n}", "课时 {n}")


def render_corpus(per_topic: int) -> list[tuple[str, str, Path, Deck]]:
    """``(topic, generic title, path, deck)`` for ``per_topic`` clips of every topic."""
    rng = random.Random(7)
    clips = []
    for t, topic in enumerate(TOPIC_SLIDES):
        for k in range(per_topic):
            size = LESSON_SIZE if (t + k) % 2 == 0 else SHORT_SIZE
            deck = topic_deck(topic, seed=k, n_slides=3, size=size, fps=2)
            title = rng.choice(TITLE_TEMPLATES).format(n=rng.randint(1, 12))
            path = WORK / f"{topic}-{k}.mp4"
            render_deck(deck, path)
            clips.append((topic, title, path, deck))
    return clips


def neighbour_precision(
    titles: list[str], texts: list[str], topics: list[str], k: int = 10
) -> float:
    """Mean share of each item's top-k content neighbours with its topic (missing = miss)."""
    n = len(titles)
    content = ItemContent(titles=titles, descriptions=texts, tags=[()] * n)
    model = ContentModel(content, neighbours=k).fit(sp.csr_matrix((1, n), dtype=np.float32))
    shares = []
    for i in range(n):
        neighbours = model.similar_items(i, k)
        shares.append(sum(topics[s.index] == topics[i] for s in neighbours) / k)
    return float(np.mean(shares))


def bench_cold_start(per_topic: int) -> list[tuple[str, str, Path, Deck, VideoAnalysis]]:
    print(f"\n## 2. Cold start: {per_topic} clips x {len(TOPIC_SLIDES)} topics, generic titles")
    print(load())
    with Timer() as t:
        clips = render_corpus(per_topic)
    print(f"rendered {len(clips)} clips in {t.wall:.0f} s")
    with Timer() as t:
        analysed = [(*clip, analyse_video(clip[2], options=OPTIONS)) for clip in clips]
    keyframes = sum(len(a.keyframes) for *_, a in analysed)
    print(f"analysed in {t.wall:.0f} s wall, {t.cpu:.0f} s CPU ({keyframes} keyframes)")
    topics = [topic for topic, *_ in analysed]
    titles = [title for _, title, *_ in analysed]
    ocr = [screen_text(a.lines) for *_, a in analysed]
    baseline = (per_topic - 1) / (len(clips) - 1)
    with_titles = neighbour_precision(titles, [""] * len(titles), topics)
    with_screen = neighbour_precision(titles, ocr, topics)
    best = min(per_topic - 1, 10) / 10
    print(f"top-10 neighbours sharing the topic: titles only {with_titles:.3f}, "
          f"titles + on-screen text {with_screen:.3f} (at most {best:.1f} with {per_topic} per topic; "
          f"random {baseline:.3f})")  # fmt: skip
    ratio = with_screen / with_titles if with_titles else float("inf")
    print(f"ratio {ratio:.1f}x (acceptance: >= 3x); example on-screen text: {ocr[0][:80]!r}")
    print(load())
    return analysed


def bench_hashes(analysed: list[tuple[str, str, Path, Deck, VideoAnalysis]], copies: int) -> None:
    print(f"\n## 3. Shot hashes: {copies} re-encoded copies, thresholds "
          f"{MAX_DISTANCE} bits / containment {DUPLICATE_CONTAINMENT}")  # fmt: skip
    print(load())
    rng = random.Random(3)
    originals = rng.sample(analysed, min(copies, len(analysed)))
    copy_distances: list[int] = []
    copy_matches = []
    for _, _, path, deck, analysis in originals:
        for scale, crf in ((0.5, 35), (0.75, 30)):
            width = max(2, round(deck.width * scale / 2) * 2)
            height = max(2, round(deck.height * scale / 2) * 2)
            target = WORK / f"{path.stem}-copy-{width}x{height}.mp4"
            reencode_copy(path, target, width=width, height=height, crf=crf)
            copied = analyse_video(target, options=AnalysisOptions(ocr=False)).fingerprint
            match = clip_similarity(copied, analysis.fingerprint)
            copy_matches.append(match)
            copy_distances += [
                min(hamming(h, o) for o in analysis.fingerprint.hashes) for h in copied.hashes
            ]
    # Shots of different slides: label each shot by its slide (decks cut where slides change).
    labelled = []
    for _, _, _, deck, analysis in analysed:
        if len(analysis.shots) == len(deck.slides):
            labelled += list(zip(deck.slides, analysis.fingerprint.hashes, strict=True))
    different = [
        hamming(ha, hb)
        for i, (sa, ha) in enumerate(labelled)
        for sb, hb in labelled[i + 1 :]
        if sa.title != sb.title
    ]
    print(f"shot distance, copy to original: max {max(copy_distances)}, "
          f"p50 {statistics.median(copy_distances):.0f} (n={len(copy_distances)})")  # fmt: skip
    print(f"shot distance, different slides: min {min(different)}, p1 {np.percentile(different, 1):.0f}, "
          f"p50 {statistics.median(different):.0f} (n={len(different)})")  # fmt: skip
    same_topic: list[ClipMatch] = []
    unrelated: list[ClipMatch] = []
    for i, (ta, _, _, _, a) in enumerate(analysed):
        for tb, _, _, _, b in analysed[i + 1 :]:
            (same_topic if ta == tb else unrelated).append(
                clip_similarity(a.fingerprint, b.fingerprint)
            )
    for name, matches in (("copies", copy_matches), ("same topic, other lesson", same_topic),
                          ("unrelated topics", unrelated)):  # fmt: skip
        c = [m.containment for m in matches]
        print(f"containment, {name}: min {min(c):.2f} mean {np.mean(c):.2f} max {max(c):.2f}; "
              f"duplicates {sum(m.is_duplicate for m in matches)}/{len(matches)}")  # fmt: skip
    print(load())


def main() -> None:
    global OPTIONS
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--slide-seconds", type=float, nargs="+", default=[5.0, 15.0])
    parser.add_argument("--clips-per-topic", type=int, default=6)
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--det-max-side", type=int, default=DET_MAX_SIDE)
    parser.add_argument("--skip-cost", action="store_true")
    parser.add_argument("--skip-cold-start", action="store_true")
    args = parser.parse_args()
    OPTIONS = AnalysisOptions(threads=1, det_max_side=args.det_max_side)
    print(f"work dir {WORK}; OCR detection at {OPTIONS.det_max_side} px; {load()}")
    try:
        if not args.skip_cost:
            bench_cost(args.seconds, tuple(args.slide_seconds))
        if not args.skip_cold_start:
            analysed = bench_cold_start(args.clips_per_topic)
            bench_hashes(analysed, args.copies)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
