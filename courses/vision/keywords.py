"""Tag and title keyword suggestions from on-screen text: jieba + TF-IDF.

The inverse document frequencies come from the catalogue, passed in as data
(``document_frequencies`` over the published titles, descriptions and tags),
so a word every video shows ("课程", "lesson") ranks low and a word that
names this video's topic ranks high. No database here: the glue counts the
catalogue (:func:`document_frequencies`) and caches the counts.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import jieba

from .types import KeywordSuggestion, TextLine

# Words that carry no topic: function words and what every lesson says.
_STOP_WORDS_TEXT = (
    "的 了 和 是 在 与 及 或 也 就 都 而 着 之 一个 我们 你们 你 我 他 她 它 这 那 吗 呢 吧 啊 "
    "这个 那个 可以 什么 如何 怎么 以及 通过 进行 就是 没有 不是 因为 所以 但是 如果 已经 "
    "还是 然后 一下 一些 一种 这些 那些 自己 大家 今天 本节 下一节 谢谢 观看 内容 点赞 关注 收藏 "
    "a an and are as at be by for from in is it of on or that the this to with you your we "
    "our i me my do does how what why vs"
)
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
# Lines read with less confidence than this are not used: a misread glyph
# makes a rare "word" that TF-IDF would rank first.
MIN_LINE_CONFIDENCE = 0.8


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    return jieba.Tokenizer()


def _is_keyword(token: str) -> bool:
    """A word worth suggesting: two characters or more, with a letter, not a stop word."""
    if len(token) < 2 or token.lower() in STOP_WORDS:
        return False
    if not any(ch.isalpha() for ch in token):
        return False  # numbers, "3.14", "2/4"
    return all(ch.isalnum() or ch in "+#-." for ch in token)


def tokenize(text: str) -> list[str]:
    """Candidate keywords of ``text`` in order, as written (case kept for display)."""
    tokens = (t.strip() for t in _segmenter().lcut(text, HMM=True))
    return [t for t in tokens if _is_keyword(t)]


def document_frequencies(documents: Iterable[str]) -> dict[str, int]:
    """In how many documents each (lower-cased) keyword occurs; the IDF's input."""
    counts: Counter[str] = Counter()
    for document in documents:
        counts.update({token.lower() for token in tokenize(document)})
    return dict(counts)


def screen_text(lines: Sequence[TextLine], *, min_confidence: float = MIN_LINE_CONFIDENCE) -> str:
    """The video's on-screen text, each distinct line once, in order of appearance."""
    seen: dict[str, None] = {}
    for line in lines:
        if line.confidence >= min_confidence:
            seen.setdefault(line.text, None)
    return "\n".join(seen)


def suggest_keywords(
    text: str,
    *,
    document_frequencies: Mapping[str, int],
    n_documents: int,
    exclude: Iterable[str] = (),
    limit: int = 8,
) -> tuple[KeywordSuggestion, ...]:
    """The ``limit`` best keywords of ``text`` by TF-IDF against the catalogue.

    Args:
        text: on-screen text (:func:`screen_text`), optionally with the
            creator's draft title.
        document_frequencies: keyword (lower case) → number of catalogue
            documents containing it.
        n_documents: size of the catalogue the frequencies were counted on.
        exclude: words the creator already uses (tags, title words), not
            suggested again; compared case-insensitively.

    TF is sublinear (1 + ln count); IDF is smoothed, ``ln((1 + N) / (1 + df)) + 1``,
    as scikit-learn's TfidfVectorizer computes it.
    """
    excluded = {word.lower() for word in exclude}
    counts: Counter[str] = Counter()
    display: dict[str, str] = {}
    for token in tokenize(text):
        key = token.lower()
        if key in excluded:
            continue
        counts[key] += 1
        display.setdefault(key, token)
    scored = []
    for key, count in counts.items():
        idf = math.log((1 + n_documents) / (1 + document_frequencies.get(key, 0))) + 1
        scored.append(
            KeywordSuggestion(
                keyword=display[key], score=round((1 + math.log(count)) * idf, 4), count=count
            )
        )
    scored.sort(key=lambda s: (-s.score, -s.count, s.keyword))
    return tuple(scored[:limit])
