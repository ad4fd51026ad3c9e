"""Sparse item-item neighbour matrices built block by block."""

from __future__ import annotations

import itertools
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


# A dense block of 1,024 rows stays under 256 MiB up to 65,536 columns; past that
# similarities are kept sparse (only co-occurring pairs exist) and top-k'd per block.
DENSE_BLOCK_BYTES = 256 * 2**20


def item_neighbours(
    left: sp.csr_matrix,
    right: sp.csr_matrix,
    k: int,
    *,
    norms: NDArray[np.float32] | None = None,
    shrink: float = 0.0,
    dense: bool | None = None,
    block_size: int | None = None,
) -> sp.csr_matrix:
    """Top-``k`` positive neighbours of each column of ``left`` among the columns of ``right``.

    The similarity is ``(left.T @ right)_ij``, divided by
    ``norms_i norms_j + shrink`` when ``norms`` are given (shrunk cosine).
    Memory is ``O(n_items * k)`` for the result plus one block: a dense
    ``block_size x n_cols`` array for small catalogues, or only the
    co-occurring pairs of the block (sparse) when a dense block would pass
    :data:`DENSE_BLOCK_BYTES` (``dense=None``) or when ``dense=False``. Both
    paths keep the same neighbours, ties to the lower index.

    Returns:
        CSR ``(n_rows, n_cols)`` float32 with no self-links and no zeros.
    """
    n_rows, n_cols = left.shape[1], right.shape[1]
    k = min(k, n_cols)
    if dense is None:
        dense = 1024 * n_cols * 4 <= DENSE_BLOCK_BYTES
    if n_rows == 0 or k == 0:
        return sp.csr_matrix((n_rows, n_cols), dtype=np.float32)
    if dense:
        blocks = [
            top_neighbours(_scaled_dense(gram, rows, norms, shrink), rows, k)
            for rows, gram in gram_blocks(left, right, block_size or 1024)
        ]
    else:
        left_t = left.T.tocsr()
        bounds = _blocks_by_work(left_t, right, block_size)
        blocks = [
            _sparse_block_top(left_t[start:stop] @ right, start, k, norms, shrink)
            for start, stop in itertools.pairwise(bounds)
        ]
    return sp.vstack(blocks, format="csr").astype(np.float32)


# Products kept per sparse block (about 16 bytes each while it is ranked).
SPARSE_BLOCK_ENTRIES = 16_000_000


def _blocks_by_work(
    left_t: sp.csr_matrix, right: sp.csr_matrix, block_size: int | None
) -> list[int]:
    """Row boundaries of sparse blocks: fixed ``block_size`` rows, or by work.

    Row ``i`` of ``left.T @ right`` has at most ``sum over its users u of
    |right_u|`` entries. Under Zipf popularity the head items co-occur with
    most of the catalogue, so blocks are cut where that bound reaches
    :data:`SPARSE_BLOCK_ENTRIES` rather than every so many rows.
    """
    n_rows = left_t.shape[0]
    if block_size:
        return [*range(0, n_rows, block_size), n_rows]
    pattern = left_t.copy()
    pattern.data = np.ones_like(pattern.data, dtype=np.float64)
    work = np.cumsum(pattern @ right.getnnz(axis=1).astype(np.float64))
    cuts = np.searchsorted(
        work, np.arange(1, int(work[-1] // SPARSE_BLOCK_ENTRIES) + 1) * float(SPARSE_BLOCK_ENTRIES)
    )
    return sorted({0, n_rows, *(int(c) + 1 for c in cuts if c + 1 < n_rows)})


def _scaled_dense(
    gram: NDArray[np.float32], rows: slice, norms: NDArray[np.float32] | None, shrink: float
) -> NDArray[np.float32]:
    if norms is None:
        return gram
    denominator = norms[rows, None] * norms[None, :] + np.float32(shrink + 1e-12)
    scaled: NDArray[np.float32] = np.divide(gram, denominator, dtype=np.float32)
    return scaled


def _sparse_block_top(
    gram: sp.csr_matrix, start: int, k: int, norms: NDArray[np.float32] | None, shrink: float
) -> sp.csr_matrix:
    """Scale, drop self-links and non-positives, keep the top ``k`` of each row."""
    gram = gram.tocoo()
    data = gram.data.astype(np.float32, copy=False)
    if norms is not None:
        denominator = norms[gram.row + start] * norms[gram.col] + np.float32(shrink + 1e-12)
        data = np.divide(data, denominator, dtype=np.float32)
    keep = (data > 0) & (gram.col != gram.row + start)
    block = sp.csr_matrix(
        (data[keep], (gram.row[keep], gram.col[keep])), shape=gram.shape, dtype=np.float32
    )
    block.sort_indices()
    return top_per_row(block, k)


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
