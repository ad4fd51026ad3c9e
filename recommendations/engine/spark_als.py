"""Implicit ALS on Apache Spark MLlib, for interactions beyond one machine.

The trainer returns the same two arrays as the single-node
:class:`~recommendations.engine.als.ALS` (``implicit``): ``(n_users, f)``
user factors and ``(n_items, f)`` item factors, row ``u`` / ``i`` being the
CSR matrix's row / column ``u`` / ``i``. Serving, the candidate index, the
blend and fold-in read them unchanged; only the fit moves to the cluster.

pyspark is optional (``requirements-spark.txt``; it needs a Java 17 runtime
on the driver). Without it the ALS member trains single-node and says so
with :data:`SPARK_MISSING`. Every entry point calls :func:`load_pyspark`
first, so a test can simulate the absence with
``monkeypatch.setitem(sys.modules, "pyspark", None)``.

Hyper-parameters, mapped from the single-node member's:

* ``factors`` -> ``rank``, ``iterations`` -> ``maxIter``, the seed -> ``seed``.
* Confidence. ``implicit`` takes the (alpha-scaled) weight as the
  confidence itself: ``c = alpha * w`` for an observed pair, ``1`` for an
  unobserved one, preference ``1`` where ``w > 0``. Spark's is
  ``c = 1 + alpha * |r|`` with preference ``r > 0``: the same ``alpha``
  adds 1 to every observed confidence, which an exact numpy emulation of
  both on the parity split showed to be immaterial (NDCG@10 0.3040 against
  0.3032). (Feeding ``r = alpha * w - 1`` would be exact only where
  ``alpha * w > 1``; below it Spark would read a negative preference.)
* Regularisation. ``implicit`` adds ``lambda * I`` to every user's and
  item's normal equations. Spark's ALS-WR adds ``regParam * n * I``, ``n``
  being that user's (or item's) number of interactions, so a user with 500
  views is shrunk 250 times harder than one with 2. With the weights as
  they are and any single ``regParam`` that costs 10 % of NDCG@10 on
  MovieLens-100K (best of a grid: 0.272 against 0.303): the tail items,
  barely regularised, float into every list. The trainer therefore sends
  ``r = w * g / m`` with ``g = sqrt(n_u * n_i)`` (the geometric mean of the
  pair's user and item counts) and ``m`` the mean of ``g`` over the
  entries, and ``regParam = lambda / m``: for a pair whose user and item
  have equal counts Spark's penalty-to-confidence ratio is then
  ``(lambda / m) * n / (alpha * w * n / m) = lambda / (alpha * w)``, which
  is implicit's. On the parity split: 0.2997 on Spark (0.3026 in the
  emulation) against implicit's 0.3034, and NDCG moves with ``lambda`` as
  implicit's does (docs/benchmarks.md, "ALS on Spark").
* BM25 re-weighting (``weighting="bm25"``) is applied to the matrix before
  it is sent, as the single-node member does: one pass over the entries.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

SPARK_MISSING = "pyspark not installed: ALS trained single-node"
# Rows per chunk shipped to the executors: numpy bytes, not one Python tuple per row.
_CHUNK_ROWS = 200_000


def load_pyspark() -> ModuleType | None:
    """Return the ``pyspark`` module, or ``None`` when it is not installed."""
    try:
        return importlib.import_module("pyspark")
    except ImportError:
        return None


def pyspark_available() -> bool:
    """Whether the Spark trainer can run here (pyspark importable)."""
    return load_pyspark() is not None


@dataclass(frozen=True)
class SparkOptions:
    """Where and how the Spark trainer runs.

    Attributes:
        master: Spark master URL (``local[2]``, ``spark://host:7077``,
            ``k8s://...``); empty means single node, never Spark.
        min_interactions: train on Spark only from this many interactions;
            below it the single-node trainer is faster (docs/scaling.md).
        driver_memory: ``spark.driver.memory`` (the factors come back here).
        executor_memory: ``spark.executor.memory`` on a cluster.
        shuffle_partitions: ``spark.sql.shuffle.partitions`` and ALS's user
            and item blocks (Spark's defaults of 200 and 10 are for big
            clusters; a block per core is right for local mode).
        bind_address: the driver's host and bind address; loopback for
            local mode, the driver's reachable address on a cluster.
        checkpoint_dir: where ALS checkpoints its factors every 10
            iterations; without one the lineage of 30 iterations overflows
            the JVM stack. Empty: a temporary local folder, right for local
            mode; a cluster needs a shared one (``hdfs://``, ``s3a://``).
    """

    master: str = ""
    min_interactions: int = 50_000_000
    driver_memory: str = "2g"
    executor_memory: str = "4g"
    shuffle_partitions: int = 2
    bind_address: str = "127.0.0.1"
    checkpoint_dir: str = ""

    @property
    def enabled(self) -> bool:
        """Whether a master is configured at all."""
        return bool(self.master)

    def chooses_spark(self, n_interactions: int) -> bool:
        """Whether a fit of ``n_interactions`` goes to Spark (pyspark aside)."""
        return self.enabled and n_interactions >= self.min_interactions


@contextmanager
def spark_session(options: SparkOptions, *, app_name: str = "kfplatform-als") -> Iterator[Any]:
    """A Spark session for one training, stopped (JVM and all) when the block ends.

    The driver binds ``options.bind_address`` (loopback in local mode, so no
    traffic leaves the machine) and the UI is off. Spark's own logging is cut
    to warnings.
    """
    pyspark = load_pyspark()
    if pyspark is None:
        raise ImportError(SPARK_MISSING)
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", options.bind_address)
    # Python workers (local mode) run this interpreter, with numpy, not the first `python3`.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(options.master)
        .appName(app_name)
        .config("spark.driver.host", options.bind_address)
        .config("spark.driver.bindAddress", options.bind_address)
        .config("spark.driver.memory", options.driver_memory)
        .config("spark.executor.memory", options.executor_memory)
        .config("spark.sql.shuffle.partitions", str(options.shuffle_partitions))
        .config("spark.default.parallelism", str(options.shuffle_partitions))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
    )
    # py4j logs each closed connection at INFO, some from __del__ at interpreter exit.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    scratch = "" if options.checkpoint_dir else tempfile.mkdtemp(prefix="kf-spark-checkpoints-")
    session.sparkContext.setCheckpointDir(options.checkpoint_dir or scratch)
    try:
        yield session
    finally:
        session.stop()
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)


def count_balanced(weights: sp.csr_matrix, regularization: float) -> tuple[sp.coo_matrix, float]:
    """Spark's input and ``regParam`` for implicit's weights and ``regularization``.

    Returns ``weights`` with each entry multiplied by ``sqrt(n_u * n_i) / m``
    and ``regularization / m`` (module docstring: this offsets ALS-WR's
    count-scaled penalty). Zero and negative entries are dropped first, as
    implicit ignores them.
    """
    positive = sp.csr_matrix(weights, dtype=np.float32, copy=True)
    positive.data[positive.data < 0] = 0
    positive.eliminate_zeros()
    coo = positive.tocoo()
    if coo.nnz == 0:
        return coo, regularization
    user_counts = np.bincount(coo.row, minlength=positive.shape[0]).astype(np.float64)
    item_counts = np.bincount(coo.col, minlength=positive.shape[1]).astype(np.float64)
    pair_counts = np.sqrt(user_counts[coo.row] * item_counts[coo.col])
    mean = float(pair_counts.mean())
    coo.data = (coo.data * (pair_counts / mean)).astype(np.float32)
    return coo, regularization / mean


@dataclass(frozen=True)
class SparkFit:
    """What one Spark training returned and what it cost."""

    user_factors: NDArray[np.float32]
    item_factors: NDArray[np.float32]
    seconds: float
    reg_param: float


def fit_spark_als(
    weights: sp.csr_matrix,
    *,
    factors: int,
    iterations: int,
    regularization: float,
    alpha: float,
    seed: int,
    options: SparkOptions,
    session: Any | None = None,
) -> SparkFit:
    """Train MLlib's implicit ALS on ``weights`` (users x items, the confidences' input).

    Opens its own session (stopped afterwards) unless ``session`` is given.
    Users or items without an interaction get zero factors (Spark never
    sees them), which scores them 0 as the single-node trainer's near-zero
    factors do.
    """
    started = time.perf_counter()
    with spark_session(options) if session is None else nullcontext(session) as active:
        from pyspark.ml.recommendation import ALS as SparkALSEstimator

        coo, reg_param = count_balanced(weights, regularization)
        frame = _interactions_frame(active, coo, options.shuffle_partitions)
        estimator = SparkALSEstimator(
            rank=factors,
            maxIter=iterations,
            regParam=reg_param,
            alpha=alpha,
            implicitPrefs=True,
            nonnegative=False,
            numUserBlocks=options.shuffle_partitions,
            numItemBlocks=options.shuffle_partitions,
            userCol="user",
            itemCol="item",
            ratingCol="weight",
            seed=seed,
            coldStartStrategy="nan",
        )
        model = estimator.fit(frame)
        user_factors = _collect_factors(model.userFactors, weights.shape[0], factors)
        item_factors = _collect_factors(model.itemFactors, weights.shape[1], factors)
    return SparkFit(
        user_factors=user_factors,
        item_factors=item_factors,
        seconds=time.perf_counter() - started,
        reg_param=reg_param,
    )


def _interactions_frame(session: Any, coo: sp.coo_matrix, partitions: int) -> Any:
    """A ``(user int, item int, weight float)`` DataFrame of the matrix's entries.

    The driver ships chunks of numpy bytes and the executors unpack them:
    one pickled tuple per interaction from the driver would dominate the
    fit at millions of rows. On a cluster that is still a copy through the
    driver; data that does not fit the driver belongs in a shared store
    read by ``session.read`` instead (docs/scaling.md).
    """
    from pyspark.sql.types import FloatType, IntegerType, StructField, StructType

    users = coo.row.astype(np.int32)
    items = coo.col.astype(np.int32)
    values = coo.data.astype(np.float32)
    chunks = [
        (
            users[s : s + _CHUNK_ROWS].tobytes(),
            items[s : s + _CHUNK_ROWS].tobytes(),
            values[s : s + _CHUNK_ROWS].tobytes(),
        )
        for s in range(0, values.size, _CHUNK_ROWS)
    ]
    schema = StructType(
        [
            StructField("user", IntegerType(), False),
            StructField("item", IntegerType(), False),
            StructField("weight", FloatType(), False),
        ]
    )

    # Nested, so cloudpickle ships it by value: executors need not import this package.
    def unpack(chunk: tuple[bytes, bytes, bytes]) -> Iterator[tuple[int, int, float]]:
        import numpy

        users = numpy.frombuffer(chunk[0], dtype=numpy.int32).tolist()
        items = numpy.frombuffer(chunk[1], dtype=numpy.int32).tolist()
        values = numpy.frombuffer(chunk[2], dtype=numpy.float32).tolist()
        return zip(users, items, values, strict=True)

    rdd = session.sparkContext.parallelize(chunks, max(1, min(len(chunks), partitions * 4)))
    return session.createDataFrame(rdd.flatMap(unpack), schema)


def _collect_factors(frame: Any, n_rows: int, rank: int) -> NDArray[np.float32]:
    """Spark's ``(id, features)`` factors as an ``(n_rows, rank)`` array indexed by id."""

    # One numpy block per partition instead of a Python row per user or item;
    # nested so that cloudpickle ships it by value (see _interactions_frame).
    def pack(rows: Iterator[Any]) -> Iterator[tuple[bytes, bytes]]:
        import numpy

        ids: list[int] = []
        features: list[list[float]] = []
        for row in rows:
            ids.append(row[0])
            features.append(row[1])
        if ids:
            yield (
                numpy.asarray(ids, dtype=numpy.int64).tobytes(),
                numpy.asarray(features, dtype=numpy.float32).tobytes(),
            )

    out = np.zeros((n_rows, rank), dtype=np.float32)
    for ids, block in frame.rdd.mapPartitions(pack).collect():
        ids_array = np.frombuffer(ids, dtype=np.int64)
        out[ids_array] = np.frombuffer(block, dtype=np.float32).reshape(ids_array.size, rank)
    return out
