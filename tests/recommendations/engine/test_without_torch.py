"""Without PyTorch the engine still trains, blends and evaluates, and says what it skipped."""

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from recommendations.engine import torch_support
from recommendations.engine.cli import main
from recommendations.engine.evaluation import evaluate, split_next_item
from recommendations.engine.models import make_model, production_model
from recommendations.engine.ranking import recommend
from recommendations.engine.sasrec import SASRec
from recommendations.engine.synthetic import planted_sequences
from recommendations.engine.types import EngineConfig

WITH_SEQUENCE = dataclasses.replace(
    EngineConfig(knn_neighbours=20, sequence_max_epochs=2, sequence_dim=16, sequence_heads=1),
    hybrid_weights={**EngineConfig().hybrid_weights, "sequence": 0.5},
)


@pytest.fixture
def no_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import torch`` fail as it does where torch is not installed."""
    monkeypatch.setitem(sys.modules, "torch", None)


@pytest.fixture(scope="module")
def planted_order() -> tuple:
    return planted_sequences(120, 60, length=10, follow=0.6, seed=3)


def test_status_says_the_sequence_member_is_skipped(no_torch: None) -> None:
    assert not torch_support.torch_available()
    assert torch_support.sequence_status() == "torch not installed: sequence member skipped"


def test_status_names_the_torch_build_when_installed() -> None:
    assert torch_support.sequence_status().startswith("torch ")
    assert "available" in torch_support.sequence_status()


def test_hybrid_fits_and_recommends_without_the_sequence_member(
    no_torch: None, planted_order: tuple
) -> None:
    # given a configuration that weighs the sequence member
    X, times, _ = planted_order
    # when
    model = production_model(WITH_SEQUENCE, n_items=X.shape[1])
    model.fit(X, times)
    top = recommend(model, X, np.arange(10), 5)
    # then the other members serve, and the hybrid says why one is missing
    assert "sequence" not in [m.name for m, _ in model.members]
    assert {"ease", "als"} <= {m.name for m, _ in model.members}
    assert model.notes == (torch_support.TORCH_MISSING,)
    assert (top.indices >= 0).all()


def test_hybrid_includes_the_sequence_member_with_torch(planted_order: tuple) -> None:
    X, times, _ = planted_order
    model = production_model(WITH_SEQUENCE, n_items=X.shape[1]).fit(X, times)
    assert "sequence" in [m.name for m, _ in model.members]
    assert model.notes == ()


def test_up_next_falls_back_to_similar_items_without_torch(
    no_torch: None, planted_order: tuple
) -> None:
    # given a retrain asked to fit the sequence model for "up next", without torch
    X, times, _ = planted_order
    config = dataclasses.replace(WITH_SEQUENCE, sequence_up_next=True)
    model = production_model(config, n_items=X.shape[1]).fit(X, times)
    # when
    upcoming = model.up_next([4, 9], 5, exclude=[1])
    # then the latest item's similar items stand in, minus the history and exclusions
    expected = [s.index for s in model.similar_items(9, 10) if s.index not in (4, 9, 1)][:5]
    assert [s.index for s in upcoming] == expected
    assert model.sequence is None


def test_up_next_uses_the_sequence_model_without_a_feed_weight(planted_order: tuple) -> None:
    # given the sequence model fitted for "up next" only
    X, times, _ = planted_order
    config = dataclasses.replace(
        WITH_SEQUENCE,
        sequence_up_next=True,
        hybrid_weights={**WITH_SEQUENCE.hybrid_weights, "sequence": 0.0},
    )
    model = production_model(config, n_items=X.shape[1]).fit(X, times)
    # when
    upcoming = model.up_next([4, 9], 5, exclude=[1])
    # then it is not a feed member, but it answers up next
    assert model.sequence is not None
    assert "sequence" not in [m.name for m, _ in model.members]
    assert [s.index for s in upcoming] == [
        s.index for s in model.sequence.up_next(np.array([4, 9]), 5, exclude=np.array([1]))
    ]
    assert not {s.index for s in upcoming} & {1, 4, 9}


def test_sequence_model_raises_a_clear_error_without_torch(
    no_torch: None, planted_order: tuple
) -> None:
    X, times, _ = planted_order
    with pytest.raises(torch_support.TorchMissingError, match="torch not installed"):
        SASRec().fit(X, times)


def test_cli_skips_the_sequence_model_with_a_note(
    no_torch: None, planted_order: tuple, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a CSV of time-ordered interactions
    X, times, _ = planted_order
    coo = X.tocoo()
    rows = [f"u{u},i{i},1,{t:.0f}" for u, i, t in zip(coo.row, coo.col, times, strict=True)]
    path = tmp_path / "events.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    # when
    main(["--data", str(path), "--split", "next-item", "--algorithms", "markov", "sequence"])
    # then
    out = capsys.readouterr().out
    assert "\nmarkov " in out
    assert "\nsequence " not in out
    assert "note: torch not installed: sequence member skipped" in out


def test_markov_baseline_needs_no_torch(no_torch: None, planted_order: tuple) -> None:
    X, times, _ = planted_order
    split = split_next_item(X, times)
    result = evaluate(make_model("markov", EngineConfig(), n_items=X.shape[1]), split)
    assert result.ndcg > 0.2
    assert json.dumps(result.as_dict())
