"""File readers for the CLI and benchmarks; the Django glue never needs them.

This is the only engine module that touches files. Data is read in place
(e.g. ``$KF_DATA_DIR/movielens-100k``) and never copied into the repo.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from recommendations.engine.types import InteractionMatrix, ItemContent
from recommendations.engine.weights import aggregate_pairs

_HEADER_FIRST_FIELDS = {"user", "user_id", "userid"}
_MOVIELENS_GENRES = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]


def default_data_dir() -> Path:
    """Return ``$KF_DATA_DIR`` or ``../shared/data`` next to the repo root."""
    repo_root = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("KF_DATA_DIR", repo_root.parent / "shared" / "data"))


@dataclass(frozen=True)
class Records:
    """Raw interaction rows with external (string) ids.

    Attributes:
        users, items: ``(n,)`` string ids.
        weights: ``(n,)`` float32.
        timestamps: ``(n,)`` float64 unix seconds, or ``None``.
    """

    users: NDArray[np.str_]
    items: NDArray[np.str_]
    weights: NDArray[np.float32]
    timestamps: NDArray[np.float64] | None


@dataclass(frozen=True)
class Dataset:
    """Interaction matrices over one shared id space.

    Attributes:
        parts: one matrix per input :class:`Records` (e.g. train, test).
        user_ids, item_ids: external id of each row / column.
    """

    parts: tuple[InteractionMatrix, ...]
    user_ids: NDArray[np.str_]
    item_ids: NDArray[np.str_]


def read_csv(path: Path) -> Records:
    """Read ``user,item[,weight][,timestamp]`` rows; a header row is optional."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row]
    if rows and rows[0][0].strip().lower() in _HEADER_FIRST_FIELDS:
        rows = rows[1:]
    width = min((len(row) for row in rows), default=2)
    columns = list(zip(*(row[:width] for row in rows), strict=True)) or [(), ()]
    return Records(
        users=np.array(columns[0], dtype=str),
        items=np.array(columns[1], dtype=str),
        weights=np.array(columns[2], dtype=np.float32)
        if width > 2
        else np.ones(len(rows), np.float32),
        timestamps=np.array(columns[3], dtype=np.float64) if width > 3 else None,
    )


def read_movielens(path: Path, *, min_rating: int = 4) -> Records:
    """Read MovieLens ``u.data``; ratings ``>= min_rating`` get weight 1, others 0.

    Protocol A keeps ratings of 4 and 5 as positives and drops the rest;
    the zero-weight rows still register their user and item, so the
    ranking covers all 1,682 movies.
    """
    table = np.loadtxt(path, dtype=np.int64, ndmin=2)
    return Records(
        users=table[:, 0].astype(str),
        items=table[:, 1].astype(str),
        weights=(table[:, 2] >= min_rating).astype(np.float32),
        timestamps=table[:, 3].astype(np.float64),
    )


def index_records(*parts: Records) -> Dataset:
    """Map ids of all parts to shared indices and aggregate each part.

    Rows with weight <= 0 only register their ids; they are not stored.
    """
    user_ids = np.unique(np.concatenate([part.users for part in parts]))
    item_ids = np.unique(np.concatenate([part.items for part in parts]))
    shape = (user_ids.size, item_ids.size)
    matrices = tuple(_aggregate(part, user_ids, item_ids, shape) for part in parts)
    return Dataset(parts=matrices, user_ids=user_ids, item_ids=item_ids)


def _aggregate(
    part: Records, user_ids: NDArray[np.str_], item_ids: NDArray[np.str_], shape: tuple[int, int]
) -> InteractionMatrix:
    keep = part.weights > 0
    return aggregate_pairs(
        np.searchsorted(user_ids, part.users[keep]),
        np.searchsorted(item_ids, part.items[keep]),
        part.weights[keep],
        None if part.timestamps is None else part.timestamps[keep],
        shape=shape,
    )


def read_movielens_items(path: Path, item_ids: NDArray[np.str_]) -> ItemContent:
    """Read MovieLens ``u.item`` as content: title, genres as tags and category.

    Args:
        path: the ``u.item`` file (Latin-1, ``|``-separated).
        item_ids: external ids in item-index order (from :class:`Dataset`).
    """
    by_id: dict[str, tuple[str, tuple[str, ...]]] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        fields = line.split("|")
        flags = fields[5:]
        genres = tuple(g for g, flag in zip(_MOVIELENS_GENRES, flags, strict=True) if flag == "1")
        by_id[fields[0]] = (fields[1], genres)
    titles, tags = zip(*(by_id.get(str(i), ("", ())) for i in item_ids), strict=True)
    categories = [_MOVIELENS_GENRES.index(t[0]) if t else -1 for t in tags]
    return ItemContent(
        titles=titles,
        descriptions=[""] * len(titles),
        tags=tags,
        categories=np.array(categories, dtype=np.int64),
    )
