"""The second stage on the platform's logs: a watch-time and purchase ranker.

At a retrain whose A/B test asks for it (``Experiment.treatment_ranker``),
the engine's :class:`~recommendations.engine.watch_ranker.WatchTimeRanker`
is trained on the logged video impressions of known viewers
(``selectors.logged_impressions``: watch seconds and purchases as labels,
an impression without a play a negative) and re-orders the treatment's
precomputed lists; the control keeps the blend's order. Features are what
the ranker would have seen when serving: each member's row-scaled score
of the item for the viewer, the item's age, whether the viewer follows its
creator, the video's length and the viewer's mean watched fraction.

:func:`ranker_report` is the offline report (``manage.py rec_second_stage``):
fit on the older 80 % of the impressions, judged on the newer 20 % by the
realised value (watch seconds plus ``PURCHASE_VALUE_SECONDS`` per purchase).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from accounts.selectors import follow_pairs
from recommendations.engine.hybrid import Hybrid, scale_rows
from recommendations.engine.models import production_model
from recommendations.engine.types import EngineConfig, InteractionMatrix
from recommendations.engine.watch_ranker import CandidateFeatures, ImpressionLog, WatchTimeRanker

from .selectors import LoggedImpression, TrainingData, logged_impressions, video_facts

PURCHASE_VALUE_SECONDS = 600.0  # watch seconds one purchase is worth: a product decision
LOG_WINDOW = timedelta(days=90)
MIN_IMPRESSIONS = 50


@dataclass(frozen=True)
class FeatureSource:
    """What features are built from, loaded once per retrain."""

    data: TrainingData
    model: Hybrid
    now: datetime
    facts: dict[int, tuple[float, datetime | None]]
    follows: set[tuple[int, int]]
    watch_ratio: dict[int, float]  # user id -> mean watched fraction

    @classmethod
    def load(
        cls, data: TrainingData, model: Hybrid, now: datetime, log: list[LoggedImpression]
    ) -> FeatureSource:
        facts = video_facts()
        ratios: dict[int, list[float]] = {}
        for row in log:
            seconds = facts.get(row.video_id, (0.0, None))[0]
            if row.clicked and seconds > 0:
                ratios.setdefault(row.user_id, []).append(min(row.watch_seconds / seconds, 1.0))
        mean = {user: float(np.mean(values)) for user, values in ratios.items()}
        return cls(data, model, now, facts, follow_pairs(), mean)

    def features(self, user_rows: NDArray[np.int64], items: NDArray[np.int64]) -> CandidateFeatures:
        """Features of ``(user row, item index)`` pairs (videos and courses alike)."""
        data, keys = self.data, self.data.catalogue.keys
        members = self.model.members
        scores = np.zeros((user_rows.size, max(len(members), 1)), dtype=np.float32)
        users, inverse = np.unique(user_rows, return_inverse=True)
        for start in range(0, users.size, 1000):
            batch = users[start : start + 1000]
            pick = (inverse >= start) & (inverse < start + batch.size)
            for m, (member, _) in enumerate(members):
                scaled = scale_rows(member.score_users(data.interactions.matrix, batch))
                scores[pick, m] = scaled[inverse[pick] - start, items[pick]]
        user_ids = data.user_ids[user_rows]
        creators = data.catalogue.creator_ids[items]
        is_video = np.asarray([keys[i][0] == "v" for i in items])
        seconds, age = np.zeros(items.size), np.zeros(items.size)
        for n, item in enumerate(items):
            if is_video[n]:
                length, published = self.facts.get(int(keys[item][1:]), (0.0, None))
                seconds[n] = length
                if published is not None:
                    age[n] = (self.now - published).total_seconds() / 86400
        return CandidateFeatures(
            member_scores=scores,
            item_age_days=age,
            creator_followed=np.asarray(
                [(int(u), int(c)) in self.follows for u, c in zip(user_ids, creators, strict=True)]
            ),
            video_seconds=seconds,
            viewer_watch_ratio=np.asarray([self.watch_ratio.get(int(u), np.nan) for u in user_ids]),
            is_course=~is_video,
            course_price=np.zeros(items.size),
            course_affinity=np.zeros(items.size),
        )


@dataclass(frozen=True)
class TrainingLog:
    """Logged impressions mapped onto a retrain's rows and columns."""

    log: ImpressionLog
    times: NDArray[np.float64]


def training_log(source: FeatureSource, impressions: list[LoggedImpression]) -> TrainingLog | None:
    """The impressions of viewers and videos the retrain knows, as the engine's log."""
    user_index = {int(u): i for i, u in enumerate(source.data.user_ids)}
    item_index = source.data.catalogue.index()
    kept = [r for r in impressions if r.user_id in user_index and f"v{r.video_id}" in item_index]
    if len(kept) < MIN_IMPRESSIONS:
        return None
    rows = np.asarray([user_index[r.user_id] for r in kept], dtype=np.int64)
    items = np.asarray([item_index[f"v{r.video_id}"] for r in kept], dtype=np.int64)
    log = ImpressionLog(
        features=source.features(rows, items),
        clicked=np.asarray([r.clicked for r in kept]),
        watch_seconds=np.asarray([r.watch_seconds for r in kept]),
        purchased=np.asarray([r.purchased for r in kept]),
    )
    return TrainingLog(log, np.asarray([r.ts for r in kept]))


def ranker_train(
    data: TrainingData, model: Hybrid, *, now: datetime
) -> tuple[WatchTimeRanker | None, FeatureSource]:
    """Fit the ranker on the last ``LOG_WINDOW`` of impressions (None: too few logged)."""
    impressions = logged_impressions(since=now - LOG_WINDOW)
    source = FeatureSource.load(data, model, now, impressions)
    logged = training_log(source, impressions)
    if logged is None:
        return None, source
    ranker = WatchTimeRanker(purchase_value_seconds=PURCHASE_VALUE_SECONDS)
    return ranker.fit(logged.log), source


def rerank(
    ranker: WatchTimeRanker, source: FeatureSource, lists: list[list[int]]
) -> list[list[tuple[int, float]]]:
    """Each user row's item list (row ``r`` is ``lists[r]``) ordered by the ranker's
    score (expected seconds per impression), best first; one feature pass for all."""
    rows = np.repeat(np.arange(len(lists)), [len(items) for items in lists])
    if not rows.size:
        return [[] for _ in lists]
    items = np.concatenate([np.asarray(i, dtype=np.int64) for i in lists if i])
    scores = ranker.score(source.features(rows.astype(np.int64), items))
    result: list[list[tuple[int, float]]] = []
    start = 0
    for candidates in lists:
        part, mine = scores[start : start + len(candidates)], items[start : start + len(candidates)]
        order = np.lexsort((np.arange(part.size), -part))
        result.append([(int(mine[i]), float(part[i])) for i in order])
        start += len(candidates)
    return result


def _interactions_before(data: TrainingData, cut: float) -> TrainingData:
    """``data`` with only the (user, item) entries whose latest event came before ``cut``."""
    stamps = data.interactions.timestamps
    if stamps is None:
        return data
    entries = data.interactions.matrix.tocoo()  # row-major, as the CSR stores (and times align)
    keep = stamps < cut
    matrix = sp.csr_matrix(
        (entries.data[keep], (entries.row[keep], entries.col[keep])),
        shape=entries.shape,
        dtype=entries.data.dtype,
    )
    return dataclasses.replace(data, interactions=InteractionMatrix(matrix, stamps[keep]))


@dataclass(frozen=True)
class RankerReport:
    """The ranker judged on the newer impressions, against the best member's order."""

    impressions: int
    click_rate: float
    purchase_rate: float
    train: int
    test: int
    spearman_ranker: float
    spearman_member: float
    top_tenth_ranker: float  # realised value per impression of the tenth each ranks first
    top_tenth_member: float
    mean_value: float


def ranker_report(
    data: TrainingData, config: EngineConfig, *, now: datetime
) -> RankerReport | None:
    """Fit on the older 80 % of the logged impressions, judge on the newer 20 %.

    Nothing from the judged period reaches the fit: the members are fitted on
    the interactions before the cut, and the viewers' watched fractions are
    taken from the older impressions only.
    """
    impressions = logged_impressions(since=now - LOG_WINDOW)
    if len(impressions) < MIN_IMPRESSIONS:
        return None
    cut = float(np.quantile([r.ts for r in impressions], 0.8))
    before = _interactions_before(data, cut)
    model = production_model(
        config, n_items=before.interactions.n_items, content=before.catalogue.content
    )
    model.fit(before.interactions.matrix, before.interactions.timestamps)
    source = FeatureSource.load(before, model, now, [r for r in impressions if r.ts < cut])
    logged = training_log(source, impressions)
    if logged is None:
        return None
    log = logged.log
    older = logged.times < cut
    if older.all() or not older.any():
        return None

    def part(mask: NDArray[np.bool_]) -> ImpressionLog:
        f = log.features
        return ImpressionLog(
            features=CandidateFeatures(
                *(np.asarray(getattr(f, name))[mask] for name in f.__dataclass_fields__)
            ),
            clicked=log.clicked[mask],
            watch_seconds=log.watch_seconds[mask],
            purchased=log.purchased[mask],
        )

    # Imported here: scipy.stats takes a second to import, and every process imports this module.
    from scipy.stats import spearmanr

    train, test = part(older), part(~older)
    ranker = WatchTimeRanker(purchase_value_seconds=PURCHASE_VALUE_SECONDS).fit(train)
    value = test.watch_seconds + PURCHASE_VALUE_SECONDS * test.purchased
    score = ranker.score(test.features)
    member = test.features.member_scores.max(axis=1)
    top = max(value.size // 10, 1)
    return RankerReport(
        impressions=int(log.clicked.size),
        click_rate=float(np.mean(log.clicked)),
        purchase_rate=float(np.mean(log.purchased)),
        train=int(older.sum()),
        test=int((~older).sum()),
        spearman_ranker=float(spearmanr(score, value)[0]),
        spearman_member=float(spearmanr(member, value)[0]),
        top_tenth_ranker=float(value[np.argsort(-score, kind="stable")[:top]].mean()),
        top_tenth_member=float(value[np.argsort(-member, kind="stable")[:top]].mean()),
        mean_value=float(value.mean()),
    )
