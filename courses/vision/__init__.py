"""What is in a video: shots, keyframes, on-screen text, hashes, risk, chapters.

Framework-free (no Django, no settings, no database; import-linter checks
it): functions take a file path or frames and return the frozen plain-data
types of :mod:`courses.vision.types`, with times in seconds. The Django glue
reads settings into :class:`AnalysisOptions`, calls :func:`analyse_video`
(or feeds a :class:`VideoAnalyser` from the transcoder's decode loop) and
stores the result. See courses/vision/README.md for the API and shapes.
"""

from .analyser import AnalysisOptions, VideoAnalyser, analyse_video
from .chapters import chapters_from
from .frames import FrameSampler, VideoDecodeError, sample_frames
from .hashing import clip_similarity, fingerprint, hamming, phash
from .keywords import document_frequencies, screen_text, suggest_keywords
from .ocr import read_text, title_line
from .prescreen import PrescreenOptions, clip_risk, detect, frame_risk, prescreen_frame
from .quality import choose_poster, cover_check, frame_quality
from .shots import CutDetector, ShotOptions
from .types import (
    Chapter,
    ClipMatch,
    ClipRisk,
    Detection,
    Fingerprint,
    FrameQuality,
    FrameRisk,
    Keyframe,
    KeywordSuggestion,
    SampledFrame,
    Shot,
    TextLine,
    VideoAnalysis,
)

__all__ = [
    "AnalysisOptions",
    "Chapter",
    "ClipMatch",
    "ClipRisk",
    "CutDetector",
    "Detection",
    "Fingerprint",
    "FrameQuality",
    "FrameRisk",
    "FrameSampler",
    "Keyframe",
    "KeywordSuggestion",
    "PrescreenOptions",
    "SampledFrame",
    "Shot",
    "ShotOptions",
    "TextLine",
    "VideoAnalyser",
    "VideoAnalysis",
    "VideoDecodeError",
    "analyse_video",
    "chapters_from",
    "choose_poster",
    "clip_risk",
    "clip_similarity",
    "cover_check",
    "detect",
    "document_frequencies",
    "fingerprint",
    "frame_quality",
    "frame_risk",
    "hamming",
    "phash",
    "prescreen_frame",
    "read_text",
    "sample_frames",
    "screen_text",
    "suggest_keywords",
    "title_line",
]
