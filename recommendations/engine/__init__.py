"""Framework-free recommender engine: numpy, scipy, scikit-learn, implicit, jieba.

Nothing is re-exported here on purpose: importing ``engine.types`` from a
Django selector must not pull in implicit, scikit-learn and jieba. Public
entry points, by module:

* ``types``: InteractionMatrix, ItemContent, EngineConfig, TopK, ScoredItem,
  Split, EvaluationResult
* ``weights``: EventType, build_interactions, aggregate_pairs
* ``models``: production_model, make_model
* ``ranking``: recommend (batched, filtered top-k)
* ``evaluation``: split_temporal, split_random, split_leave_one_out, evaluate
* ``cli``: ``python -m recommendations.engine.cli --data PATH``

See docs/recommender.md.
"""
