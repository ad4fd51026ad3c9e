"""A/B statistics for proportions (conversion, CTR): intervals, tests, sample sizes, a decision.

Pure math on counts (no Django, no scipy at run time; the tests check every
function against scipy). Conventions: variant A is the control, B the
treatment; ``lift`` is relative, (p_B − p_A) / p_A.

The decision uses an *always-valid* p-value so that staff may look at the
report every day and stop when it says so, without inflating false
positives: the mixture sequential probability ratio test (mSPRT) of Johari,
Pekelis and Walsh, "Always valid inference" (2017), the test behind
Optimizely's Stats Engine, with a normal mixing distribution N(0, τ²) on the
difference of rates, τ = the minimum effect of interest in absolute terms.
The report only has the current counts, so the p-value shown is 1/Λ at this
look, which is never below the running minimum the paper defines: it is
conservative, never optimistic. The fixed-horizon two-proportion z-test and
the sample size for the chosen minimum effect are shown beside it, for
readers who committed to one look at the planned size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054


def normal_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def normal_ppf(p: float) -> float:
    """Inverse of the standard normal CDF (Acklam's rational approximation, polished by Newton)."""
    if not 0 < p < 1:
        raise ValueError("p must lie strictly between 0 and 1.")
    a = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269,
         -30.66479806614716, 2.506628277459239)  # fmt: skip
    b = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
         -13.28068155288572)  # fmt: skip
    c = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
         4.374664141464968, 2.938163982698783)  # fmt: skip
    d = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
    low = 0.02425
    if p < low:
        q = math.sqrt(-2 * math.log(p))
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1
        )
    elif p > 1 - low:
        return -normal_ppf(1 - p)
    else:
        q = p - 0.5
        r = q * q
        x = (
            (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
            * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        )
    for _ in range(2):  # Newton steps on the exact CDF: full double precision
        x -= (normal_cdf(x) - p) * math.sqrt(2 * math.pi) * math.exp(x * x / 2)
    return x


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (good at small counts and rates near 0)."""
    if n <= 0:
        return None
    z = normal_ppf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class TwoProportions:
    """Control A against treatment B on one proportion."""

    rate_a: float
    rate_b: float
    difference: float  # p_B − p_A
    difference_ci: tuple[float, float]  # unpooled Wald interval
    lift: float | None  # relative; None when the control rate is 0
    lift_ci: tuple[float, float] | None  # difference interval / p_A
    z: float
    p_value: float  # two-sided, pooled z-test (fixed horizon)


def two_proportion_test(
    x_a: int, n_a: int, x_b: int, n_b: int, confidence: float = 0.95
) -> TwoProportions | None:
    """Two-sided pooled z-test and the difference's interval; None without data in both arms."""
    if n_a <= 0 or n_b <= 0:
        return None
    p_a, p_b = x_a / n_a, x_b / n_b
    pooled = (x_a + x_b) / (n_a + n_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    diff = p_b - p_a
    z = diff / se_pooled if se_pooled > 0 else 0.0
    p_value = 2 * normal_cdf(-abs(z)) if se_pooled > 0 else 1.0
    crit = normal_ppf(0.5 + confidence / 2)
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    ci = (diff - crit * se, diff + crit * se)
    lift = diff / p_a if p_a > 0 else None
    lift_ci = (ci[0] / p_a, ci[1] / p_a) if p_a > 0 else None
    return TwoProportions(p_a, p_b, diff, ci, lift, lift_ci, z, p_value)


def sample_size_per_variant(
    baseline: float, minimum_lift: float, alpha: float = 0.05, power: float = 0.8
) -> int | None:
    """Viewers per variant for a two-sided z-test to detect a relative lift (equal split).

    n = (z_{1−α/2}·√(2·p̄(1−p̄)) + z_{power}·√(p₁(1−p₁) + p₂(1−p₂)))² / (p₂ − p₁)²
    (Fleiss; the formula of Evan Miller's calculator). None when undefined.
    """
    p1 = baseline
    p2 = baseline * (1 + minimum_lift)
    if not (0 < p1 < 1 and 0 < p2 < 1) or p1 == p2:
        return None
    mean = (p1 + p2) / 2
    za, zb = normal_ppf(1 - alpha / 2), normal_ppf(power)
    top = za * math.sqrt(2 * mean * (1 - mean)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return math.ceil(top * top / (p2 - p1) ** 2)


def sample_ratio_p_value(n_a: int, n_b: int, share_b: float) -> float | None:
    """Chi-square goodness of fit (1 df) of the split against the planned share of B.

    A tiny p-value (below 0.001 by convention) means assignment or logging is
    broken and no result of the test can be trusted.
    """
    total = n_a + n_b
    if total <= 0 or not 0 < share_b < 1:
        return None
    expected_b = total * share_b
    expected_a = total - expected_b
    chi2 = (n_a - expected_a) ** 2 / expected_a + (n_b - expected_b) ** 2 / expected_b
    return math.erfc(math.sqrt(chi2 / 2))  # survival function of chi-square with 1 df


def always_valid_p_value(x_a: int, n_a: int, x_b: int, n_b: int, tau: float) -> float | None:
    """mSPRT p-value for p_B − p_A = 0 with a N(0, τ²) mixture (normal approximation).

    Λ = √(V / (V + τ²)) · exp(θ̂² τ² / (2V (V + τ²))), θ̂ = p̂_B − p̂_A,
    V = p̂_A(1 − p̂_A)/n_A + p̂_B(1 − p̂_B)/n_B; p = min(1, 1/Λ).
    """
    if n_a <= 0 or n_b <= 0 or tau <= 0:
        return None
    p_a, p_b = x_a / n_a, x_b / n_b
    variance = p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b
    if variance <= 0:
        return 1.0
    theta = p_b - p_a
    tau2 = tau * tau
    log_lambda = 0.5 * math.log(variance / (variance + tau2)) + theta * theta * tau2 / (
        2 * variance * (variance + tau2)
    )
    return 1.0 if log_lambda <= 0 else min(1.0, math.exp(-log_lambda))


@dataclass(frozen=True)
class Decision:
    """What the numbers allow: ``ship``, ``stop`` (treatment worse), ``no_effect``,
    ``keep_running`` or ``broken`` (sample ratio mismatch), with the reason in words."""

    verdict: str
    reason: str
    test: TwoProportions | None
    always_valid_p: float | None
    sample_ratio_p: float | None
    needed_per_variant: int | None


SRM_ALPHA = 0.001


def decide(
    x_a: int,
    n_a: int,
    x_b: int,
    n_b: int,
    *,
    share_b: float,
    minimum_lift: float = 0.1,
    alpha: float = 0.05,
    power: float = 0.8,
) -> Decision:
    """Sequential-safe decision on one proportion (see the module docstring for the rule)."""
    test = two_proportion_test(x_a, n_a, x_b, n_b, confidence=1 - alpha)
    srm = sample_ratio_p_value(n_a, n_b, share_b)
    baseline = x_a / n_a if n_a else 0.0
    needed = sample_size_per_variant(baseline, minimum_lift, alpha, power)
    tau = abs(baseline * minimum_lift)
    avp = always_valid_p_value(x_a, n_a, x_b, n_b, tau) if tau > 0 else None
    if srm is not None and srm < SRM_ALPHA:
        verdict, reason = "broken", f"Sample ratio mismatch (p = {srm:.2g}): check assignment."
    elif test is None or avp is None:
        verdict, reason = "keep_running", "Not enough data in both variants yet."
    elif avp < alpha:
        better = test.difference > 0
        verdict = "ship" if better else "stop"
        reason = f"Always-valid p = {avp:.3g} < {alpha:g}: the treatment is {'better' if better else 'worse'}."
    elif needed is not None and min(n_a, n_b) >= needed:
        verdict = "no_effect"
        reason = f"Both variants passed {needed} viewers with no significant difference."
    else:
        verdict = "keep_running"
        reason = f"No decision yet; {needed or '–'} viewers per variant detect a {minimum_lift:.0%} lift."
    return Decision(verdict, reason, test, avp, srm, needed)
