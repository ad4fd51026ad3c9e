"""Seeded synthetic interaction data for tests and scale benchmarks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.watch_ranker import CandidateFeatures, ImpressionLog


def zipf_weights(n: int, exponent: float) -> NDArray[np.float64]:
    """Return ``(n,)`` probabilities proportional to ``rank ** -exponent``."""
    weights: NDArray[np.float64] = np.arange(1, n + 1, dtype=np.float64) ** -exponent
    return weights / float(weights.sum())


def zipf_interactions(
    n_users: int, n_items: int, n_interactions: int, *, exponent: float = 0.8, seed: int = 0
) -> sp.csr_matrix:
    """Return a binary CSR ``(n_users, n_items)`` with Zipf item popularity.

    Users are drawn uniformly and items from :func:`zipf_weights` (item 0
    most popular); repeated pairs collapse, so ``nnz`` is slightly below
    ``n_interactions``.
    """
    rng = np.random.default_rng(seed)
    users = rng.integers(0, n_users, size=n_interactions)
    items = rng.choice(n_items, size=n_interactions, p=zipf_weights(n_items, exponent))
    return _binary_csr(users, items, (n_users, n_items))


def planted_clusters(
    n_users: int,
    n_items: int,
    *,
    n_clusters: int,
    per_user: int,
    noise: float = 0.1,
    exponent: float = 0.8,
    seed: int = 0,
) -> tuple[sp.csr_matrix, NDArray[np.int64], NDArray[np.int64]]:
    """Return interactions with planted user/item clusters (reference 5.2).

    Item ``i`` belongs to cluster ``i % n_clusters``; each user picks a
    cluster and draws ``per_user`` items, a ``noise`` share from the whole
    catalogue and the rest from their cluster, Zipf-weighted within it.

    Returns:
        ``(X, user_cluster, item_cluster)``: binary CSR and int64 labels.
    """
    rng = np.random.default_rng(seed)
    item_cluster = np.arange(n_items, dtype=np.int64) % n_clusters
    user_cluster = rng.integers(0, n_clusters, size=n_users).astype(np.int64)
    users = np.repeat(np.arange(n_users), per_user)
    in_cluster = rng.random(users.size) >= noise
    members = [np.flatnonzero(item_cluster == c) for c in range(n_clusters)]
    items = rng.integers(0, n_items, size=users.size)
    for cluster, pool in enumerate(members):
        pick = in_cluster & (user_cluster[users] == cluster)
        items[pick] = rng.choice(pool, size=int(pick.sum()), p=zipf_weights(pool.size, exponent))
    return _binary_csr(users, items, (n_users, n_items)), user_cluster, item_cluster


def session_times(
    X: sp.csr_matrix,
    *,
    gap_seconds: float = 60.0,
    session_break: float = 0.2,
    start: float = 1.7e9,
    seed: int = 0,
) -> NDArray[np.float64]:
    """Return ``(nnz,)`` unix seconds for ``X``'s entries, as sessions.

    Each user takes up their items in a random order, ``gap_seconds`` apart
    on average (exponential gaps); with probability ``session_break`` a gap
    is a day instead, starting a new session.
    """
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(gap_seconds, size=X.nnz)
    gaps[rng.random(X.nnz) < session_break] = 86_400.0
    elapsed = np.cumsum(gaps) - gaps  # slot k's time since the first slot
    counts = np.diff(X.indptr)
    rows = np.repeat(np.arange(X.shape[0]), counts)
    since_user_start = elapsed - elapsed[X.indptr[:-1]].repeat(counts) if X.nnz else elapsed
    shuffled = np.lexsort((rng.random(X.nnz), rows))  # each row's entries in a random order
    times = np.empty(X.nnz, dtype=np.float64)
    times[shuffled] = start + since_user_start
    return times


def planted_sequences(
    n_users: int,
    n_items: int,
    *,
    length: int,
    follow: float = 0.8,
    start: float = 1.7e9,
    seed: int = 0,
) -> tuple[sp.csr_matrix, NDArray[np.float64], NDArray[np.int64]]:
    """Histories with planted order: after item ``i`` comes ``successor[i]`` with probability ``follow``.

    Each viewer starts at a random item and takes up ``length`` distinct
    items one minute apart; each next item is the current one's successor
    (a fixed random permutation) with probability ``follow``, else a random
    unseen item. The *set* of a viewer's items says little about what comes
    next (the successors of every item in it look alike to an order-free
    model); the *order* says it exactly: the successor of the latest item.

    Returns:
        ``(X, timestamps, successor)``: binary CSR, unix seconds aligned with
        ``X.data``, and the ``(n_items,)`` successor permutation.
    """
    if length >= n_items:
        raise ValueError("length must be below n_items")
    rng = np.random.default_rng(seed)
    successor = rng.permutation(n_items).astype(np.int64)
    users: list[int] = []
    items: list[int] = []
    times: list[float] = []
    for user in range(n_users):
        current = int(rng.integers(n_items))
        seen = {current}
        history = [current]
        while len(history) < length:
            nxt = int(successor[current])
            if nxt in seen or rng.random() >= follow:
                nxt = int(rng.choice([i for i in range(n_items) if i not in seen]))
            seen.add(nxt)
            history.append(nxt)
            current = nxt
        users.extend([user] * length)
        items.extend(history)
        times.extend((start + user * 86_400.0 + 60.0 * np.arange(length)).tolist())
    order = np.lexsort((np.array(items), np.array(users)))
    user_arr, item_arr = np.array(users)[order], np.array(items)[order]
    X = sp.csr_matrix(
        (np.ones(user_arr.size, dtype=np.float32), (user_arr, item_arr)), shape=(n_users, n_items)
    )
    # csr built from sorted (user, item) coordinates keeps that order in X.data
    return X, np.array(times, dtype=np.float64)[order], successor


def _binary_csr(
    users: NDArray[np.int64], items: NDArray[np.int64], shape: tuple[int, int]
) -> sp.csr_matrix:
    X = sp.csr_matrix((np.ones(users.size, dtype=np.float32), (users, items)), shape=shape)
    X.sum_duplicates()
    X.data[:] = 1.0
    return X


@dataclass(frozen=True)
class SimulatedImpressions:
    """Logged impressions from a known behaviour model, with the truth behind them.

    Attributes:
        log: what the platform would log (features, click, watch, purchase).
        expected_watch_seconds: ``(n,)`` the true ``E[watch s]`` per impression.
        purchase_probability: ``(n,)`` the true ``P(purchase)`` per impression.
    """

    log: ImpressionLog
    expected_watch_seconds: NDArray[np.float64]
    purchase_probability: NDArray[np.float64]


def simulate_impressions(
    n: int, *, course_share: float = 0.2, seed: int = 0
) -> SimulatedImpressions:
    """Draw ``n`` feed impressions from a fixed behaviour model (the truth is returned).

    Behaviour, per impression:

    * click: ``sigmoid(-2 + 2.5 m0 + 0.5 m1 + 1.2 followed - 0.03 age_days)``
      (member 0 is the better retriever; fresh items and followed creators
      are clicked more);
    * a clicked video is watched for ``length * ratio`` seconds, where the
      mean ratio is the viewer's usual ratio shrunk for long videos,
      ``watch_ratio * (1 - 0.6 * length / 600)``, with Beta noise: long
      videos give more seconds but are finished less often;
    * a clicked course card is bought with probability
      ``sigmoid(-3 + 5 affinity - price / 100)`` and watched 0 s.
    """
    rng = np.random.default_rng(seed)
    members = rng.random((n, 2)).astype(np.float32)
    age = rng.exponential(5.0, n)
    followed = rng.random(n) < 0.2
    is_course = rng.random(n) < course_share
    length = np.where(is_course, 0.0, rng.uniform(15.0, 600.0, n))
    viewer_ratio = rng.beta(2.0, 2.0, n)
    price = np.where(is_course, rng.choice([0.0, 49.0, 99.0, 199.0, 399.0], n), 0.0)
    affinity = np.where(is_course, rng.random(n), 0.0)
    p_click = _sigmoid(
        -2.0 + 2.5 * members[:, 0] + 0.5 * members[:, 1] + 1.2 * followed - 0.03 * age
    )
    mean_ratio = viewer_ratio * (1.0 - 0.6 * length / 600.0)
    p_buy = np.where(is_course, _sigmoid(-3.0 + 5.0 * affinity - price / 100.0), 0.0)
    clicked = rng.random(n) < p_click
    concentration = 5.0
    ratio = rng.beta(
        np.maximum(mean_ratio * concentration, 1e-3),
        np.maximum((1 - mean_ratio) * concentration, 1e-3),
    )
    watch = np.where(clicked & ~is_course, length * ratio, 0.0)
    purchased = clicked & (rng.random(n) < p_buy)
    features = CandidateFeatures(
        member_scores=members,
        item_age_days=age,
        creator_followed=followed,
        video_seconds=length,
        viewer_watch_ratio=viewer_ratio,
        is_course=is_course,
        course_price=price,
        course_affinity=affinity,
    )
    return SimulatedImpressions(
        log=ImpressionLog(
            features=features, clicked=clicked, watch_seconds=watch, purchased=purchased
        ),
        expected_watch_seconds=p_click * length * mean_ratio,
        purchase_probability=p_click * p_buy,
    )


def _sigmoid(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-x))
