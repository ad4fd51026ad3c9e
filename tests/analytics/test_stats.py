"""A/B statistics against scipy on the same counts (issue 17, item 4)."""

import math

import numpy as np
import pytest
from scipy import stats as sp

from analytics import stats


@pytest.mark.parametrize("p", [1e-9, 0.001, 0.02, 0.025, 0.3, 0.5, 0.8, 0.975, 0.999])
def test_normal_quantile_matches_scipy(p):
    assert stats.normal_ppf(p) == pytest.approx(sp.norm.ppf(p), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("k", "n"), [(0, 20), (3, 40), (120, 1000), (999, 1000)])
def test_wilson_interval_matches_scipy(k, n):
    expected = sp.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    interval = stats.wilson_interval(k, n)
    assert interval is not None
    low, high = interval
    assert (low, high) == pytest.approx((expected.low, expected.high), abs=1e-12)


@pytest.mark.parametrize(
    ("xa", "na", "xb", "nb"), [(120, 1000, 150, 1000), (30, 5000, 52, 4800), (7, 90, 5, 110)]
)
def test_two_proportion_p_value_equals_the_chi_square_test_without_correction(xa, na, xb, nb):
    result = stats.two_proportion_test(xa, na, xb, nb)
    assert result is not None
    chi2, p, _, _ = sp.chi2_contingency([[xa, na - xa], [xb, nb - xb]], correction=False)
    assert result.p_value == pytest.approx(p, rel=1e-9)
    assert result.z**2 == pytest.approx(chi2, rel=1e-9)
    # and the interval is the unpooled Wald interval of the difference
    se = math.sqrt(xa / na * (1 - xa / na) / na + xb / nb * (1 - xb / nb) / nb)
    assert result.difference_ci[1] - result.difference == pytest.approx(sp.norm.ppf(0.975) * se)


def test_sample_ratio_p_value_matches_scipy_chisquare():
    expected = sp.chisquare([5200, 4800], f_exp=[5000, 5000]).pvalue
    assert stats.sample_ratio_p_value(5200, 4800, 0.5) == pytest.approx(expected, rel=1e-9)
    expected = sp.chisquare([8100, 1900], f_exp=[8000, 2000]).pvalue
    assert stats.sample_ratio_p_value(8100, 1900, 0.2) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("baseline", "lift"), [(0.1, 0.1), (0.03, 0.2), (0.5, -0.05)])
def test_sample_size_is_the_smallest_n_reaching_the_power(baseline, lift):
    # power of the two-sided z-test at n per variant, by scipy's normal
    p1, p2 = baseline, baseline * (1 + lift)
    mean = (p1 + p2) / 2

    def power(n: int) -> float:
        spread = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
        shift = abs(p2 - p1) * math.sqrt(n) - sp.norm.ppf(0.975) * math.sqrt(2 * mean * (1 - mean))
        return sp.norm.cdf(shift / spread)

    n = stats.sample_size_per_variant(baseline, lift)
    assert n is not None
    assert power(n) >= 0.8 > power(n - 1)


def test_evan_millers_calculator_example():
    # 10 % baseline, +10 % relative (1 point absolute), alpha 5 %, power 80 %:
    # evanmiller.org/ab-testing/sample-size.html answers 14,751 per variation
    assert stats.sample_size_per_variant(0.10, 0.10) == 14_751


def test_always_valid_p_value_keeps_false_positives_under_alpha_while_peeking():
    # given 300 A/A tests (both 10 %), each read after every 200 viewers per arm, 40 times
    rng = np.random.default_rng(17)
    runs, looks, step = 300, 40, 200
    a = rng.binomial(1, 0.1, size=(runs, looks * step)).cumsum(axis=1)[:, step - 1 :: step]
    b = rng.binomial(1, 0.1, size=(runs, looks * step)).cumsum(axis=1)[:, step - 1 :: step]
    naive = sequential = 0
    for run in range(runs):
        n = [step * (k + 1) for k in range(looks)]
        fixed = [stats.two_proportion_test(a[run, k], n[k], b[run, k], n[k]) for k in range(looks)]
        valid = [
            stats.always_valid_p_value(a[run, k], n[k], b[run, k], n[k], 0.01) for k in range(looks)
        ]
        naive += any(t is not None and t.p_value < 0.05 for t in fixed)
        sequential += any(p is not None and p < 0.05 for p in valid)
    # then stopping at the first naive "significant" look is wrong far more often than 5 %,
    # and the always-valid p-value stays within it
    assert naive / runs > 0.15
    assert sequential / runs <= 0.05


def test_always_valid_p_value_finds_a_real_lift():
    # 10 % against 13 %, 20,000 viewers each
    p = stats.always_valid_p_value(2000, 20_000, 2600, 20_000, 0.01)
    assert p is not None
    assert p < 1e-6


def test_decision_ships_stops_waits_and_refuses_a_broken_split():
    assert stats.decide(2000, 20_000, 2600, 20_000, share_b=0.5).verdict == "ship"
    assert stats.decide(2600, 20_000, 2000, 20_000, share_b=0.5).verdict == "stop"
    assert stats.decide(10, 100, 12, 100, share_b=0.5).verdict == "keep_running"
    assert stats.decide(2000, 20_000, 2010, 20_000, share_b=0.5).verdict == "no_effect"
    broken = stats.decide(2000, 20_000, 1300, 12_000, share_b=0.5)
    assert broken.verdict == "broken"
    assert broken.sample_ratio_p is not None
    assert broken.sample_ratio_p < 0.001
    assert stats.decide(0, 0, 0, 0, share_b=0.5).verdict == "keep_running"
