""" "More like the latest" on MovieLens-100K: the similar-items blend's next-item accuracy.

The similar lists serve "similar videos", the call-to-action under a video
and the session re-ranking of the feed. This bench asks what they are for:
given a viewer's latest item, is the item they took up next in its top 10?
Protocol: leave-one-out by time (each user's latest positive is the test
item; users with one positive are skipped), the list is
``similar_items(latest training item)`` minus the training items,
NDCG@10 / HR@10 over users. The session weight of the blend is tuned on
the same construction carved from the training part (the second-latest
item predicted from the third-latest), then frozen.

    .venv/bin/python bench/rec_next_item.py [--data DIR]   # DIR holds u.data and u.item
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommendations.engine.base import SimilarItemsModel
from recommendations.engine.content import ContentModel
from recommendations.engine.datasets import (
    default_data_dir,
    index_records,
    read_movielens,
    read_movielens_items,
)
from recommendations.engine.evaluation import evaluate_next_item, split_leave_one_out
from recommendations.engine.itemknn import ItemKNN
from recommendations.engine.models import production_model
from recommendations.engine.session import SessionKNN
from recommendations.engine.types import EngineConfig, ItemContent, Split

SESSION_WEIGHTS = (0.0, 0.5, 1.0, 2.0)


def with_session_weight(weight: float) -> EngineConfig:
    """Return the production config with the session share of similar lists set."""
    config = EngineConfig()
    return dataclasses.replace(
        config, similar_weights={**config.similar_weights, "session": weight}
    )


def blend(config: EngineConfig, split: Split, content: ItemContent) -> SimilarItemsModel:
    """Return the production hybrid, whose ``similar_items`` is the blend under test."""
    return production_model(config, n_items=split.train.shape[1], content=content)


def main() -> None:
    """Tune the session weight on the carved split, report every source on the outer one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_data_dir() / "movielens-100k")
    args = parser.parse_args()
    dataset = index_records(read_movielens(args.data / "u.data"))
    content = read_movielens_items(args.data / "u.item", dataset.item_ids)
    part = dataset.parts[0]
    outer = split_leave_one_out(part.matrix, part.timestamps, seed=0)
    carved = split_leave_one_out(outer.train, outer.train_times, seed=0)
    validation = {
        w: evaluate_next_item(blend(with_session_weight(w), carved, content), carved).ndcg
        for w in SESSION_WEIGHTS
    }
    chosen = max(validation, key=lambda w: validation[w])
    print("validation NDCG@10 by session weight: ", validation, " chosen:", chosen)
    config = EngineConfig()
    rows: dict[str, SimilarItemsModel] = {
        "itemknn": ItemKNN(config.knn_neighbours, config.knn_shrink),
        "session": SessionKNN(config.session_tau, config.session_neighbours),
        "content": ContentModel(content, config.content_neighbours),
        "knn+content (before)": blend(with_session_weight(0.0), outer, content),
        f"production (session {config.similar_weights['session']})": blend(config, outer, content),
    }
    print(f"\n{'similar-items source':<28}{'NDCG@10':>10}{'HR@10':>10}{'users':>8}")
    for label, model in rows.items():
        result = evaluate_next_item(model, outer)
        print(f"{label:<28}{result.ndcg:>10.4f}{result.hit_rate:>10.4f}{result.n_users:>8}")
    print(f"\ntuned session weight == production: {chosen == config.similar_weights['session']}")


if __name__ == "__main__":
    main()
