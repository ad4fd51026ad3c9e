"""Sparse item-item neighbour matrices built block by block."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.base import keep_entries, row_ranks
from recommendations.engine.ranking import top_k_rows
from recommendations.engine.types import ScoredItem


def gram_blocks(
    left: sp.csr_matrix, right: sp.csr_matrix, block_size: int = 1024
) -> Iterator[tuple[slice, NDArray[np.float32]]]:
    """Yield row blocks of ``left.T @ right`` as dense float32 arrays.

    Blocks keep peak memory at ``block_size * n_cols`` floats instead of a
    sparse ``n_items^2`` product, which matters at 10k items.

    Args:
        left: CSR ``(n, n_rows_out)``.
        right: CSR ``(n, n_cols_out)``.
        block_size: output rows per block.

    Yields:
        ``(rows, block)`` with ``block`` of shape ``(len(rows), n_cols_out)``.
    """
    left_t = left.T.tocsr()
    n_rows = left.shape[1]
    for start in range(0, n_rows, block_size):
        rows = slice(start, min(start + block_size, n_rows))
        yield rows, (left_t[rows] @ right).toarray().astype(np.float32, copy=False)


def top_neighbours(sim: NDArray[np.float32], rows: slice, k: int) -> sp.csr_matrix:
    """Keep the ``k`` largest positive similarities of each row, no self-links.

    Args:
        sim: ``(len(rows), n_items)`` similarities of items ``rows`` to all
            items; its diagonal entries are overwritten with 0.
        rows: the item indices the block's rows stand for.
        k: neighbours kept per item (at most ``n_items``).

    Returns:
        CSR ``(len(rows), n_items)`` float32.
    """
    sim[np.arange(sim.shape[0]), np.arange(rows.start, rows.stop)] = 0.0
    top = top_k_rows(sim, k)
    keep = top.scores > 0
    row_ids = np.broadcast_to(np.arange(sim.shape[0])[:, None], keep.shape)[keep]
    return sp.csr_matrix((top.scores[keep], (row_ids, top.indices[keep])), shape=sim.shape)


def top_per_row(matrix: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Keep the ``k`` largest stored entries of each row of a sparse matrix (ties to the lower index).

    The sparse counterpart of :func:`top_neighbours`, for similarities that
    never exist densely (session co-occurrence).
    """
    best_first = row_ranks(matrix, (matrix.indices, -matrix.data))
    return keep_entries(matrix, best_first < k).astype(np.float32)


def row_items(matrix: sp.csr_matrix, row: int, k: int) -> list[ScoredItem]:
    """Return the ``k`` largest stored entries of one CSR row, ties by index."""
    start, end = matrix.indptr[row], matrix.indptr[row + 1]
    cols, vals = matrix.indices[start:end], matrix.data[start:end]
    order = np.lexsort((cols, -vals))[:k]
    return [ScoredItem(index=int(cols[i]), score=float(vals[i])) for i in order]
