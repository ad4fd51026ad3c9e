"""Small seeded fixtures shared by the engine tests."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine.synthetic import planted_clusters
from recommendations.engine.types import ItemContent

CLUSTER_WORDS = ("烹饪 家常菜", "Python 编程", "健身 跑步", "摄影 构图")


@pytest.fixture(scope="session")
def planted() -> tuple:
    """300 users x 120 items in 4 planted clusters, 10 % noise."""
    return planted_clusters(300, 120, n_clusters=4, per_user=15, noise=0.1, seed=7)


@pytest.fixture(scope="session")
def planted_content(planted: tuple) -> ItemContent:
    """Titles that name each item's cluster, mixing Chinese and English."""
    _, _, item_cluster = planted
    titles = [f"{CLUSTER_WORDS[c]} 第{i}课" for i, c in enumerate(item_cluster)]
    return ItemContent(
        titles=titles,
        descriptions=[""] * len(titles),
        tags=[(f"tag{c}",) for c in item_cluster],
        categories=np.asarray(item_cluster, dtype=np.int64),
    )


@pytest.fixture(scope="session")
def planted_with_new_item(planted: tuple) -> tuple:
    """``planted`` with item 0's interactions removed, as if it were just published."""
    X, user_cluster, item_cluster = planted
    X = sp.lil_matrix(X)
    X[:, 0] = 0
    X = X.tocsr()
    X.eliminate_zeros()
    return X, user_cluster, item_cluster
