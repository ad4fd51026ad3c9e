"""A/B statistics for the experiment reports of higher layers (the math: analytics.stats)."""

from __future__ import annotations

from .. import stats

ABDecision = stats.Decision


def ab_statistics(
    *,
    control: tuple[int, int],
    treatment: tuple[int, int],
    treatment_share: float,
    minimum_lift: float = 0.1,
    alpha: float = 0.05,
) -> stats.Decision:
    """Interval, fixed-horizon and always-valid p-values, sample-ratio check, needed size, verdict.

    ``control`` and ``treatment`` are (successes, trials) of one proportion,
    e.g. (buyers, viewers); ``treatment_share`` the planned share of trials in
    the treatment (the sample-ratio check uses the first metric's trials).
    """
    return stats.decide(
        *control, *treatment, share_b=treatment_share, minimum_lift=minimum_lift, alpha=alpha
    )


def ab_interval(successes: int, trials: int) -> tuple[float, float] | None:
    """95 % Wilson interval of one variant's rate."""
    return stats.wilson_interval(successes, trials)
