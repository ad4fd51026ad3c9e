"""Top-k selection, filtering and determinism."""

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from recommendations.engine.popularity import Popularity
from recommendations.engine.ranking import recommend, top_k_rows


class FixedScores:
    """A stand-in model returning preset scores, ties included."""

    name = "fixed"

    def __init__(self, scores: np.ndarray) -> None:
        self.scores = scores

    def fit(self, X: sp.csr_matrix, timestamps: np.ndarray | None = None) -> "FixedScores":
        return self

    def score_users(self, X: sp.csr_matrix, user_indices: np.ndarray) -> np.ndarray:
        return self.scores[user_indices]


def test_top_k_breaks_ties_by_lower_index_and_pads_excluded() -> None:
    # given ties at the cut and an excluded column
    scores = np.array([[0.5, 0.9, 0.9, -np.inf, 0.5, 0.5]], dtype=np.float32)
    # when
    top = top_k_rows(scores, 4)
    # then
    assert top.indices.tolist() == [[1, 2, 0, 4]]
    assert top_k_rows(scores, 6).indices.tolist() == [[1, 2, 0, 4, 5, -1]]


def test_recommend_drops_seen_extra_and_blocked_items() -> None:
    # given popularity 5 > 4 > 3 > 2 > 1 over items 0..4; user 0 saw item 0
    # and owns item 1, user 1 has nothing; item 2 is blocked for everyone
    model = Popularity().fit(sp.csr_matrix(np.array([[5, 4, 3, 2, 1]], dtype=np.float32)))
    X = sp.csr_matrix(np.array([[1, 0, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=np.float32))
    owned = sp.csr_matrix(np.array([[0, 1, 0, 0, 0], [0, 0, 0, 0, 0]], dtype=np.float32))
    # when
    top = recommend(model, X, np.array([0, 1]), 3, extra_exclude=owned, blocked_items=np.array([2]))
    # then
    assert top.indices.tolist() == [[3, 4, -1], [0, 1, 3]]


@st.composite
def ranking_cases(draw: st.DrawFn) -> tuple:
    n_users = draw(st.integers(1, 6))
    n_items = draw(st.integers(1, 12))
    shape = (n_users, n_items)
    scores = draw(arrays(np.float32, shape, elements=st.sampled_from([0.0, 0.5, 1.0, -2.0])))
    seen = draw(arrays(np.bool_, shape))
    extra = draw(arrays(np.bool_, shape))
    blocked = draw(st.lists(st.integers(0, n_items - 1), max_size=3, unique=True))
    k = draw(st.integers(1, n_items + 2))
    return scores, seen, extra, np.array(blocked, dtype=np.int64), k


@settings(max_examples=150, deadline=None)
@given(case=ranking_cases())
def test_recommend_never_returns_excluded_and_is_sorted_and_deterministic(case: tuple) -> None:
    # given random tied scores and random exclusions
    scores, seen, extra, blocked, k = case
    X = sp.csr_matrix(seen.astype(np.float32))
    extra_m = sp.csr_matrix(extra.astype(np.float32))
    users = np.arange(scores.shape[0])
    # when
    first = recommend(
        FixedScores(scores), X, users, k, extra_exclude=extra_m, blocked_items=blocked
    )
    again = recommend(
        FixedScores(scores), X, users, k, extra_exclude=extra_m, blocked_items=blocked
    )
    # then
    np.testing.assert_array_equal(first.indices, again.indices)
    excluded = seen | extra
    excluded[:, blocked] = True
    for u in users:
        got = first.indices[u][first.indices[u] >= 0]
        assert not excluded[u, got].any()
        assert got.size == min(k, scores.shape[1], int((~excluded[u]).sum()))
        expected = [
            i for i in np.lexsort((np.arange(scores.shape[1]), -scores[u])) if not excluded[u, i]
        ]
        assert got.tolist() == expected[: got.size]
