"""Content similarity: TF-IDF over jieba tokens plus tag and category blocks.

It needs no interactions, so it is how brand-new items get recommended
and get "similar items" lists (reference 4.5).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Self

import jieba
import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.neighbours import item_neighbours, row_items
from recommendations.engine.types import ItemContent, ScoredItem

# Function words that carry no topic; jieba keeps them as tokens.
_STOP_WORDS_TEXT = (
    "的 了 和 是 在 与 及 或 也 就 都 而 着 之 一个 我们 你 我 他 她 它 这 那 吗 呢 吧 啊 "
    "a an and are as at be by for from in is it of on or that the this to with"
)
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


@lru_cache(maxsize=1)
def _segmenter() -> jieba.Tokenizer:
    """Return the process-wide jieba tokenizer (loading it takes ~0.7 s)."""
    jieba.setLogLevel(logging.WARNING)
    return jieba.Tokenizer()


def tokenize(text: str) -> list[str]:
    """Split Chinese and English text into lowercase word tokens.

    jieba's precise mode (HMM on) segments Chinese and passes Latin words
    and numbers through whole ("Python", "3D", "C++"); whitespace,
    punctuation and stop words are dropped.
    """
    tokens = (token.strip().lower() for token in _segmenter().lcut(text, HMM=True))
    return [t for t in tokens if any(c.isalnum() for c in t) and t not in STOP_WORDS]


def item_vectors(content: ItemContent, *, min_df: int = 2, max_df: float = 0.5) -> sp.csr_matrix:
    """Return L2-normalised ``(n_items, n_features)`` float32 item vectors.

    Three blocks, each row-normalised so they weigh equally, stacked and
    normalised again: TF-IDF of ``title title description`` (the title
    counts twice), one-hot tags and one-hot category.
    """
    # Imported here, not at the top: scikit-learn takes seconds to import, and
    # every Django process loads this module (through the recommender's models).
    from sklearn.preprocessing import MultiLabelBinarizer, normalize

    documents = [f"{t} {t} {d}" for t, d in zip(content.titles, content.descriptions, strict=True)]
    blocks = [_text_block(documents, min_df=min_df, max_df=max_df)]
    if any(content.tags):
        tags = MultiLabelBinarizer(sparse_output=True).fit_transform(content.tags)
        blocks.append(normalize(tags.astype(np.float32)))
    if content.categories is not None:
        blocks.append(_one_hot(content.categories))
    return normalize(sp.hstack(blocks, format="csr").astype(np.float32))


def _text_block(documents: list[str], *, min_df: int, max_df: float) -> sp.csr_matrix:
    """Return row-normalised TF-IDF rows; no columns if no term survives.

    A young catalogue may have too few items for ``min_df``/``max_df``;
    the limits are then relaxed, and an empty vocabulary leaves tags and
    categories to carry the similarity.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer  # see item_vectors
    from sklearn.preprocessing import normalize

    if max_df * len(documents) < min_df:
        min_df, max_df = 1, 1.0
    vectorizer = TfidfVectorizer(
        tokenizer=tokenize,
        token_pattern=None,
        lowercase=False,
        sublinear_tf=True,
        min_df=min_df,
        max_df=max_df,
        dtype=np.float32,
    )
    try:
        return normalize(vectorizer.fit_transform(documents))
    except ValueError:  # empty vocabulary after pruning
        return sp.csr_matrix((len(documents), 0), dtype=np.float32)


def _one_hot(codes: NDArray[np.int64]) -> sp.csr_matrix:
    """Return ``(n, max_code + 1)`` one-hot rows; code ``-1`` gives an empty row."""
    rows = np.flatnonzero(codes >= 0)
    shape = (codes.size, int(codes.max(initial=-1)) + 1)
    return sp.csr_matrix((np.ones(rows.size, np.float32), (rows, codes[rows])), shape=shape)


class ContentModel:
    """Score items by cosine to the user's profile, a weighted sum of item vectors.

    Args:
        content: text and categories of every item, in index order.
        neighbours: content neighbours kept per item for ``similar_items``.
        min_df, max_df: TfidfVectorizer vocabulary limits (reference 4.5);
            lower ``min_df`` to 1 for tiny catalogues.
    """

    name = "content"

    def __init__(
        self, content: ItemContent, neighbours: int = 50, *, min_df: int = 2, max_df: float = 0.5
    ) -> None:
        self.content = content
        self.neighbours = neighbours
        self.min_df = min_df
        self.max_df = max_df
        self.vectors_ = sp.csr_matrix((0, 0), dtype=np.float32)
        self.similarity_ = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> Self:
        """Vectorise the items and keep each item's top content neighbours.

        ``X`` is unused: content depends on the item text only.
        """
        self.vectors_ = item_vectors(self.content, min_df=self.min_df, max_df=self.max_df)
        vt = self.vectors_.T.tocsr()
        self.similarity_ = item_neighbours(vt, vt, self.neighbours)
        return self

    def score_users(self, X: sp.csr_matrix, user_indices: NDArray[np.int64]) -> NDArray[np.float32]:
        """Return ``(n, n_items)`` float32 ``(X[users] @ V) @ V.T`` scores."""
        profiles = X[user_indices].astype(np.float32) @ self.vectors_
        return np.asarray((profiles @ self.vectors_.T).toarray(), dtype=np.float32)

    def similar_items(self, item_index: int, k: int) -> list[ScoredItem]:
        """Return up to ``k`` items with the most similar content, best first."""
        return row_items(self.similarity_, item_index, k)
