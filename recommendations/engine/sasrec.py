"""SASRec: a self-attentive sequence model of what a viewer takes up next.

Kang & McAuley, "Self-Attentive Sequential Recommendation" (ICDM 2018),
trained with a softmax cross-entropy over the catalogue instead of the
paper's one sampled negative (Klenitskiy & Vasilev, RecSys 2023, "Turning
dross into gold loss: is BERT4Rec really better than SASRec?"): every
position of a viewer's time-ordered history predicts the next item.

PyTorch is optional (:mod:`recommendations.engine.torch_support`); the
network lives in :mod:`recommendations.engine.sasrec_net`, imported only
after torch was found. Without torch, :meth:`SASRec.fit` raises
:class:`~recommendations.engine.torch_support.TorchMissingError`, and the
hybrid leaves the member out with that status (``Hybrid.notes``).
"""

from __future__ import annotations

import dataclasses
import importlib
import time
from types import ModuleType
from typing import Any, Self

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from recommendations.engine.sequences import Sequences, sequences_from_lists
from recommendations.engine.torch_support import TorchMissingError, load_torch, torch_threads
from recommendations.engine.types import ScoredItem


@dataclasses.dataclass(frozen=True)
class TrainingLog:
    """What one :meth:`SASRec.fit` did, for the retrain log and the admin.

    Attributes:
        epochs: epochs run; ``best_epoch`` is the one whose weights were kept.
        validation_ndcg: NDCG@10 of each validation viewer's latest item,
            per evaluated epoch (full ranking, their other items excluded).
        validation_users: viewers whose latest item was held out.
        loss: mean training loss per epoch.
        seconds: wall time of the fit.
        status: one line (trained, skipped and why).
    """

    epochs: int
    best_epoch: int
    validation_ndcg: tuple[float, ...]
    validation_users: int
    loss: tuple[float, ...]
    seconds: float
    status: str


class SASRec:
    """Causal self-attention over each viewer's time-ordered history.

    ``fit`` orders every viewer's entries by time (``timestamps``, aligned
    with ``X.data``), holds out the latest item of up to
    ``validation_users`` viewers (seeded choice among those with at least
    three items), trains on every other transition and stops when the
    held-out items' NDCG@10 has not improved for ``patience`` epochs,
    keeping the best epoch's weights: early stopping on a temporal
    validation. The same seed gives the same weights and scores (batches,
    dropout and initialisation draw from seeded generators; intra-op
    threads are fixed at ``num_threads`` during fit and scoring).

    Catalogues up to ``full_softmax_items`` items train with the full
    softmax; larger ones score each position against ``negatives``
    uniformly drawn items shared by the batch (a sampled softmax), which
    keeps an epoch linear in the interactions.

    ``score_users`` scores from the histories seen at fit (the rows of
    ``X`` carry no times); :meth:`score_sequences` and :meth:`up_next`
    score any given recent history ("up next" after a video). Without
    timestamps there is no order to learn: the model stays empty and
    scores 0 ("no evidence" to the hybrid).

    Args:
        dim, blocks, heads: embedding size, attention blocks, heads.
        max_length: items of history read (the latest ones).
        dropout: dropout of embeddings, attention and feed-forward.
        learning_rate, weight_decay: AdamW settings.
        batch_size: windows per step.
        max_epochs, patience: the early-stopping bounds.
        position_budget: training positions over all epochs; a fit runs at
            most ``position_budget // positions`` epochs (at least one), so
            its cost stays bounded as the data grows: at the default 10
            million, 10 epochs at a million interactions and no bound below
            100,000 (where ``max_epochs`` binds first). Deterministic, unlike
            a wall-clock budget, which would make the weights depend on the
            machine's load.
        validation_users: cap on viewers held out for early stopping.
        full_softmax_items, negatives: see above.
        num_threads: torch intra-op threads (bounded: a worker shares its cores).
        seed: seeds initialisation, batching, dropout and the validation draw.
    """

    name = "sequence"

    def __init__(
        self,
        *,
        dim: int = 64,
        blocks: int = 2,
        heads: int = 2,
        max_length: int = 50,
        dropout: float = 0.2,
        learning_rate: float = 5e-3,
        weight_decay: float = 0.0,
        batch_size: int = 128,
        max_epochs: int = 100,
        patience: int = 5,
        position_budget: int = 10_000_000,
        validation_users: int = 1000,
        full_softmax_items: int = 5000,
        negatives: int = 1024,
        num_threads: int = 2,
        seed: int = 0,
    ) -> None:
        if max_length < 2 or dim < 1 or blocks < 1 or heads < 1 or max_epochs < 1:
            raise ValueError("SASRec needs max_length >= 2 and positive sizes and epochs")
        if position_budget < 1:
            raise ValueError(f"position_budget must be positive, got {position_budget}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.dim, self.blocks, self.heads = dim, blocks, heads
        self.max_length = max_length
        self.dropout = dropout
        self.learning_rate, self.weight_decay = learning_rate, weight_decay
        self.batch_size = batch_size
        self.max_epochs, self.patience = max_epochs, patience
        self.position_budget = position_budget
        self.validation_users = validation_users
        self.full_softmax_items, self.negatives = full_softmax_items, negatives
        self.num_threads = num_threads
        self.seed = seed
        self.n_items_ = 0
        self.sequences_ = sequences_from_lists([])
        self.log_: TrainingLog | None = None
        self._net: Any = None

    # -- fitting -------------------------------------------------------------

    def fit(self, X: sp.csr_matrix, timestamps: NDArray[np.float64] | None = None) -> Self:
        """Train on every viewer's time-ordered history; see the class docs."""
        torch = _require_torch()
        started = time.perf_counter()
        self.n_items_ = int(X.shape[1])
        self._net = None
        if timestamps is None:
            self.sequences_ = sequences_from_lists([[] for _ in range(X.shape[0])])
            self.log_ = TrainingLog(0, 0, (), 0, (), 0.0, "no timestamps: nothing to order")
            return self
        rng = np.random.default_rng(self.seed)
        rows, items, times = _positive_entries(X, timestamps)
        order = np.lexsort((rng.random(items.size), times, rows))
        rows, items, times = rows[order], items[order], times[order]
        self.sequences_ = Sequences(items, _indptr(rows, X.shape[0]))
        # fork_rng: seeding here must not reset the caller's global torch generator
        with torch_threads(torch, self.num_threads), torch.random.fork_rng(devices=[]):
            self._train(torch, rng, rows, times, started)
        return self

    def _train(
        self,
        torch: ModuleType,
        rng: np.random.Generator,
        rows: NDArray[np.int64],
        times: NDArray[np.float64],
        started: float,
    ) -> None:
        net_module = importlib.import_module("recommendations.engine.sasrec_net")
        torch.manual_seed(self.seed)
        generator = torch.Generator().manual_seed(self.seed)
        held_users, held_entries = self._hold_out(rng)
        training = np.ones(rows.size, dtype=bool)
        training[held_entries] = False
        train_rows, train_items, train_times = (
            rows[training],
            self.sequences_.items[training],
            times[training],
        )
        train_seqs = Sequences(train_items, _indptr(train_rows, self.sequences_.n_users))
        held_items = self.sequences_.items[held_entries]
        # Equal times (a page of ratings sent at once) have no order: each epoch
        # draws a new one, so the model learns the page, not an index order.
        has_ties = bool(
            np.any((train_rows[1:] == train_rows[:-1]) & (train_times[1:] == train_times[:-1]))
        )
        windows = _windows(train_seqs, self.max_length + 1)
        net = net_module.SASRecNet(
            self.n_items_,
            dim=self.dim,
            blocks=self.blocks,
            heads=self.heads,
            max_length=self.max_length,
            dropout=self.dropout,
        )
        self._net = net
        if windows.shape[0] == 0:
            self.log_ = TrainingLog(0, 0, (), 0, (), time.perf_counter() - started, "no sequences")
            net.eval()
            return
        optimiser = torch.optim.AdamW(
            net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        best_ndcg, best_epoch, best_state = -1.0, 0, None
        ndcgs: list[float] = []
        losses: list[float] = []
        epochs = self.epochs_allowed(train_items.size)
        for epoch in range(1, epochs + 1):
            if has_ties and epoch > 1:
                order = np.lexsort((rng.random(train_items.size), train_times, train_rows))
                windows = _windows(
                    Sequences(train_items[order], train_seqs.indptr), self.max_length + 1
                )
            losses.append(self._epoch(torch, net, optimiser, windows, rng, generator))
            if held_users.size == 0:
                best_epoch, best_state = epoch, None
                continue
            ndcg = self._validation_ndcg(train_seqs, held_users, held_items)
            ndcgs.append(ndcg)
            if ndcg > best_ndcg:
                best_ndcg, best_epoch = ndcg, epoch
                best_state = {k: v.detach().clone() for k, v in net.state_dict().items()}
            elif epoch - best_epoch >= self.patience:
                break
        if best_state is not None:
            net.load_state_dict(best_state)
        net.eval()
        status = f"trained {len(losses)} epochs, kept epoch {best_epoch}"
        if epochs < self.max_epochs and len(losses) == epochs:
            status += f" (position budget: at most {epochs} epochs)"
        if ndcgs:
            status += f" (validation NDCG@10 {best_ndcg:.4f} on {held_users.size} viewers)"
        self.log_ = TrainingLog(
            epochs=len(losses),
            best_epoch=best_epoch,
            validation_ndcg=tuple(ndcgs),
            validation_users=int(held_users.size),
            loss=tuple(losses),
            seconds=time.perf_counter() - started,
            status=status,
        )

    def epochs_allowed(self, positions: int) -> int:
        """Epochs a fit over ``positions`` training entries may run (see ``position_budget``)."""
        return max(1, min(self.max_epochs, self.position_budget // max(positions, 1)))

    def _hold_out(self, rng: np.random.Generator) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Choose up to ``validation_users`` viewers (3+ items); return them and their latest entry."""
        lengths = self.sequences_.lengths()
        eligible = np.flatnonzero(lengths >= 3)
        count = min(self.validation_users, eligible.size)
        held = np.sort(rng.choice(eligible, size=count, replace=False)) if count else eligible[:0]
        return held, self.sequences_.indptr[held + 1] - 1

    def _epoch(
        self,
        torch: ModuleType,
        net: Any,
        optimiser: Any,
        windows: NDArray[np.int64],
        rng: np.random.Generator,
        generator: Any,
    ) -> float:
        """One pass over the windows in length-bucketed, shuffled batches; returns the mean loss."""
        net.train()
        lengths = (windows > 0).sum(axis=1)
        order = np.lexsort((rng.random(lengths.size), lengths))
        batches = [order[i : i + self.batch_size] for i in range(0, order.size, self.batch_size)]
        total, count = 0.0, 0
        for b in rng.permutation(len(batches)):
            rows = windows[batches[b]]
            width = int((rows > 0).sum(axis=1).max())
            tokens = torch.from_numpy(np.ascontiguousarray(rows[:, -width:]))
            inputs, targets = tokens[:, :-1], tokens[:, 1:]
            states = net(inputs)
            # A target needs a real item before it: in a history's first window the
            # first item sits after padding, whose state carries no history (it
            # trained the final norm's bias towards popular first films).
            mask = (inputs > 0) & (targets > 0)
            loss = self._loss(torch, net, states[mask], targets[mask] - 1, generator)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * int(mask.sum())
            count += int(mask.sum())
        return total / max(count, 1)

    def _loss(self, torch: ModuleType, net: Any, states: Any, targets: Any, generator: Any) -> Any:
        weights = net.item_weights()
        if self.n_items_ <= self.full_softmax_items:
            return torch.nn.functional.cross_entropy(states @ weights.T, targets)
        negatives = torch.randint(0, self.n_items_, (self.negatives,), generator=generator)
        positive = (states * weights[targets]).sum(dim=1, keepdim=True)
        negative = states @ weights[negatives].T
        negative = negative.masked_fill(negatives[None, :] == targets[:, None], float("-inf"))
        logits = torch.cat([positive, negative], dim=1)
        zeros = torch.zeros(targets.shape[0], dtype=torch.long)
        return torch.nn.functional.cross_entropy(logits, zeros)

    def _validation_ndcg(
        self, seqs: Sequences, users: NDArray[np.int64], targets: NDArray[np.int64]
    ) -> float:
        """Mean NDCG@10 of each held-out item among the items its viewer has not taken up."""
        gains = []
        for start in range(0, users.size, 1024):
            batch = users[start : start + 1024]
            histories = [seqs.of(int(u)) for u in batch]
            scores = self._score_histories(histories)
            for row, history in enumerate(histories):
                scores[row, history] = -np.inf
            target = targets[start : start + batch.size]
            target_scores = scores[np.arange(batch.size), target]
            rank = (scores > target_scores[:, None]).sum(axis=1)
            gains.append(np.where(rank < 10, 1.0 / np.log2(rank + 2.0), 0.0))
        return float(np.concatenate(gains).mean())

    # -- scoring -------------------------------------------------------------

    def score_users(self, X: sp.csr_matrix, user_indices: NDArray[np.int64]) -> NDArray[np.float32]:
        """Return ``(n, n_items)`` float32 next-item scores from the histories seen at fit.

        A viewer beyond the fitted rows, or with no history, scores 0.
        """
        users = np.asarray(user_indices, dtype=np.int64)
        histories = [
            self.sequences_.of(int(u)) if u < self.sequences_.n_users else np.zeros(0, np.int64)
            for u in users
        ]
        return self.score_sequences(histories)

    def score_sequences(self, histories: list[NDArray[np.int64]]) -> NDArray[np.float32]:
        """Score every item as the next one after each history (oldest first).

        Returns ``(len(histories), n_items)`` float32; an empty history, or
        an unfitted model, scores 0.
        """
        _require_torch()
        scores = np.zeros((len(histories), self.n_items_), dtype=np.float32)
        if self._net is None:
            return scores
        for start in range(0, len(histories), 1024):
            batch = histories[start : start + 1024]
            scores[start : start + len(batch)] = self._score_histories(batch)
        return scores

    def up_next(
        self,
        history: NDArray[np.int64] | list[int],
        k: int,
        *,
        exclude: NDArray[np.int64] | None = None,
    ) -> list[ScoredItem]:
        """The ``k`` items most likely next after ``history`` (its items and ``exclude`` left out)."""
        recent = np.asarray(history, dtype=np.int64)
        scores = self.score_sequences([recent])[0]
        if not recent.size or self._net is None:
            return []
        scores[recent] = -np.inf
        if exclude is not None:
            scores[np.asarray(exclude, dtype=np.int64)] = -np.inf
        order = np.lexsort((np.arange(scores.size), -scores))[:k]
        return [
            ScoredItem(index=int(i), score=float(scores[i])) for i in order if scores[i] > -np.inf
        ]

    def _score_histories(self, histories: list[NDArray[np.int64]]) -> NDArray[np.float32]:
        torch = _require_torch()
        # Only as wide as the batch's longest history: left padding and positions
        # counted from the end make the narrower input score the same, and at
        # max_length 200 most platform histories are far shorter.
        width = max([min(len(h), self.max_length) for h in histories] + [1])
        tokens = np.zeros((len(histories), width), dtype=np.int64)
        for row, history in enumerate(histories):
            recent = np.asarray(history[-width:], dtype=np.int64)
            if recent.size:
                tokens[row, -recent.size :] = recent + 1
        has_history = tokens[:, -1] > 0
        with torch_threads(torch, self.num_threads), torch.inference_mode():
            self._net.eval()
            states = self._net(torch.from_numpy(tokens))[:, -1]
            scores = (states @ self._net.item_weights().T).numpy().astype(np.float32)
        scores[~has_history] = 0.0
        return scores


def _positive_entries(
    X: sp.csr_matrix, timestamps: NDArray[np.float64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Rows, items and times of the positive entries of ``X``."""
    if timestamps.shape != X.data.shape:
        raise ValueError("timestamps must align with X.data")
    positive = X.data > 0
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[positive]
    return rows.astype(np.int64), X.indices[positive].astype(np.int64), timestamps[positive]


def _indptr(sorted_rows: NDArray[np.int64], n_rows: int) -> NDArray[np.int64]:
    counts = np.bincount(sorted_rows, minlength=n_rows)
    return np.concatenate(([0], np.cumsum(counts))).astype(np.int64)


def _require_torch() -> ModuleType:
    torch = load_torch()
    if torch is None:
        raise TorchMissingError
    return torch


def _windows(seqs: Sequences, width: int) -> NDArray[np.int64]:
    """Cut every history into left-padded token windows of ``width`` (overlapping by one item).

    A history of ``n`` items has ``n - 1`` transitions; consecutive windows
    share one item so every transition is trained exactly once. Histories
    of one item have no transition and give no window. Tokens are item + 1.
    """
    rows: list[NDArray[np.int64]] = []
    for user in range(seqs.n_users):
        history = seqs.of(user) + 1
        end = history.size
        while end >= 2:
            start = max(0, end - width)
            window = np.zeros(width, dtype=np.int64)
            window[width - (end - start) :] = history[start:end]
            rows.append(window)
            end = start + 1
    return np.stack(rows) if rows else np.zeros((0, width), dtype=np.int64)
