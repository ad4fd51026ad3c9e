"""Seeded synthetic interaction data for tests and scale benchmarks."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray


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


def _binary_csr(
    users: NDArray[np.int64], items: NDArray[np.int64], shape: tuple[int, int]
) -> sp.csr_matrix:
    X = sp.csr_matrix((np.ones(users.size, dtype=np.float32), (users, items)), shape=shape)
    X.sum_duplicates()
    X.data[:] = 1.0
    return X
