"""The engine CLI on a tiny CSV written to a temporary folder."""

import json
from pathlib import Path

import numpy as np
import pytest

from recommendations.engine.cli import main
from recommendations.engine.synthetic import planted_clusters

ALGORITHMS = ["popularity", "itemknn", "ease", "als", "hybrid", "als-default"]


@pytest.fixture
def csv_path(tmp_path: Path) -> Path:
    X, _, _ = planted_clusters(80, 40, n_clusters=4, per_user=10, seed=1)
    coo = X.tocoo()
    stamps = 1_700_000_000 + np.random.default_rng(0).permutation(coo.nnz) * 60
    lines = ["user,item,weight,timestamp"] + [
        f"u{u},i{i},1,{t}" for u, i, t in zip(coo.row, coo.col, stamps, strict=True)
    ]
    path = tmp_path / "interactions.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_prints_a_table_with_every_algorithm(
    csv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a CSV with a header
    # when
    main(["--data", str(csv_path), "--algorithms", *ALGORITHMS])
    # then
    out = capsys.readouterr().out
    assert "NDCG@10" in out
    for name in ALGORITHMS:
        assert f"\n{name} " in out


@pytest.mark.parametrize("split", ["random", "loo", "temporal"])
def test_cli_json_lists_metrics_per_algorithm(
    csv_path: Path, capsys: pytest.CaptureFixture[str], split: str
) -> None:
    # given a split choice
    # when
    main(
        [
            "--data",
            str(csv_path),
            "--split",
            split,
            "--json",
            "--k",
            "5",
            "--algorithms",
            "ease",
            "popularity",
        ]
    )
    # then
    results = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in results] == ["ease", "popularity"]
    assert all(r["k"] == 5 and 0.0 <= r["ndcg"] <= 1.0 for r in results)


def test_cli_reads_an_explicit_test_file_without_header(
    csv_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given train and test files, the test one headerless and weightless
    rows = csv_path.read_text(encoding="utf-8").splitlines()[1:]
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    train.write_text("\n".join(rows[::2]), encoding="utf-8")
    test.write_text("\n".join(",".join(r.split(",")[:2]) for r in rows[1::2]), encoding="utf-8")
    # when
    main(
        [
            "--data",
            str(train),
            "--split",
            "file",
            "--test",
            str(test),
            "--json",
            "--algorithms",
            "ease",
        ]
    )
    # then
    (result,) = json.loads(capsys.readouterr().out)
    assert result["n_users"] > 0


def test_cli_next_item_split_reports_sequential_models_beside_order_free_ones(
    csv_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given time-stamped interactions
    # when
    main(
        [
            "--data",
            str(csv_path),
            "--split",
            "next-item",
            "--algorithms",
            "ease",
            "markov",
            "sequence",
        ]
    )
    # then every model is ranked on each user's latest item, with the comparison line
    out = capsys.readouterr().out
    for name in ("ease", "markov", "sequence"):
        assert f"\n{name} " in out
    assert "best sequential" in out
    assert "best order-free ease" in out


def test_cli_next_item_split_needs_times(tmp_path: Path) -> None:
    path = tmp_path / "no_times.csv"
    path.write_text("u1,i1\nu1,i2\nu2,i1\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="timestamp"):
        main(["--data", str(path), "--split", "next-item"])
