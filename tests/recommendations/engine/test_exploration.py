"""Thompson sampling over fresh items, its propensities, and the off-policy estimate."""

import numpy as np
import pytest

from recommendations.engine.exploration import (
    ThompsonExplorer,
    policy_value,
    snips_estimate,
)


def test_picks_are_distinct_candidates_with_propensities() -> None:
    # given five fresh items, two slots
    explorer = ThompsonExplorer(propensity_draws=2000)
    candidates = np.array([10, 11, 12, 13, 14])
    # when
    picks = explorer.choose(
        candidates,
        np.array([100, 100, 0, 5, 50]),
        np.array([2, 20, 0, 1, 5]),
        2,
        np.random.default_rng(0),
    )
    # then
    assert [p.slot for p in picks] == [0, 1]
    assert len({p.item for p in picks}) == 2
    assert {p.item for p in picks} <= set(candidates.tolist())
    # no candidate is ever below its uniform share: 0.1 / 5 for the first slot, 0.1 / 4 after
    assert picks[0].propensity >= 0.1 / 5
    assert picks[1].propensity >= 0.1 / 4
    assert all(0 < p.propensity <= 1 for p in picks)


def test_slot_probabilities_sum_to_one_and_favour_the_better_posterior() -> None:
    explorer = ThompsonExplorer(propensity_draws=5000)
    alpha, beta = explorer.posterior(np.array([1000.0, 1000.0, 0.0]), np.array([10.0, 200.0, 0.0]))
    probabilities = explorer.slot_probabilities(alpha, beta, np.random.default_rng(1))
    assert probabilities.sum() == pytest.approx(1.0)
    assert probabilities[1] > 0.5  # a 20 % CTR against 1 %; the new item keeps a chance
    assert probabilities[2] > probabilities[0]


def test_logged_propensity_is_the_frequency_of_the_choice() -> None:
    # given one slot among three items, chosen many times with fresh generators
    explorer = ThompsonExplorer(propensity_draws=4000)
    candidates = np.arange(3)
    impressions, clicks = np.array([40.0, 40.0, 5.0]), np.array([4.0, 2.0, 0.0])
    picks = [
        explorer.choose(candidates, impressions, clicks, 1, np.random.default_rng(seed))[0]
        for seed in range(600)
    ]
    # when
    for item in range(3):
        chosen = [p for p in picks if p.item == item]
        frequency = len(chosen) / len(picks)
        logged = np.mean([p.propensity for p in chosen])
        # then the logged propensity is what the policy really did (binomial error ~0.02)
        assert logged == pytest.approx(frequency, abs=0.06)


def test_thompson_sampling_learns_to_serve_the_best_fresh_item() -> None:
    # given four fresh items with true CTRs, served one slot at a time
    true_ctr = np.array([0.02, 0.05, 0.15, 0.04])
    explorer = ThompsonExplorer(propensity_draws=500)
    rng = np.random.default_rng(3)
    impressions, clicks = np.zeros(4), np.zeros(4)
    # when
    for _ in range(1500):
        pick = explorer.choose(np.arange(4), impressions, clicks, 1, rng)[0]
        impressions[pick.item] += 1
        clicks[pick.item] += rng.random() < true_ctr[pick.item]
    # then most impressions went to the best item, and every item was still tried
    assert impressions.argmax() == 2
    assert impressions[2] > 0.6 * impressions.sum()
    assert (impressions > 0).all()


def _simulated_log(n: int, seed: int):
    """Contexts x actions with known mean rewards; a softmax logging policy."""
    rng = np.random.default_rng(seed)
    n_contexts, n_actions = 20, 5
    means = np.random.default_rng(99).uniform(0.0, 0.3, (n_contexts, n_actions))
    logits = np.random.default_rng(98).normal(size=(n_contexts, n_actions))
    logging = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    target = np.zeros_like(means)
    target[np.arange(n_contexts), means.argmax(axis=1)] = 0.8
    target += 0.2 / n_actions  # the best action mostly, a little of everything
    contexts = rng.integers(0, n_contexts, n)
    cumulative = logging.cumsum(axis=1)[contexts]
    actions = np.minimum((rng.random(n)[:, None] > cumulative).sum(axis=1), n_actions - 1)
    rewards = (rng.random(n) < means[contexts, actions]).astype(float)
    return {
        "rewards": rewards,
        "logging": logging[contexts, actions],
        "target": target[contexts, actions],
        "truth": policy_value(means, target),
        "logging_value": policy_value(means, logging),
    }


@pytest.mark.parametrize("method", ["delta", "bootstrap"])
def test_snips_recovers_a_known_policy_value(method: str) -> None:
    # given 20,000 logged impressions of a policy unlike the target
    log = _simulated_log(20_000, seed=0)
    # when
    estimate = snips_estimate(
        log["rewards"], log["logging"], log["target"], method=method, bootstrap_samples=400
    )
    # then the estimate is the target's value, not the logging policy's
    assert abs(log["truth"] - log["logging_value"]) > 0.05
    assert estimate.value == pytest.approx(log["truth"], abs=0.015)
    assert estimate.low <= log["truth"] <= estimate.high
    assert estimate.high - estimate.low < 0.05
    assert 0 < estimate.effective_sample_size < estimate.n


def test_snips_interval_covers_the_truth_at_its_level() -> None:
    # given 200 independent logs of 2,000 impressions each
    covered = 0
    for seed in range(200):
        log = _simulated_log(2_000, seed=seed + 1)
        estimate = snips_estimate(log["rewards"], log["logging"], log["target"])
        covered += estimate.low <= log["truth"] <= estimate.high
    # then about 95 % of the intervals hold the true value
    assert 0.88 <= covered / 200 <= 0.99


def test_snips_estimates_a_policy_from_thompson_logs() -> None:
    # given impressions served by Thompson sampling, each logged with its propensity
    true_ctr = np.array([0.03, 0.08, 0.12])
    explorer = ThompsonExplorer(propensity_draws=500, uniform_share=0.3)
    rng = np.random.default_rng(5)
    impressions, clicks = np.zeros(3), np.zeros(3)
    actions, propensities, rewards = [], [], []
    for _ in range(6000):
        pick = explorer.choose(np.arange(3), impressions, clicks, 1, rng)[0]
        reward = float(rng.random() < true_ctr[pick.item])
        impressions[pick.item] += 1
        clicks[pick.item] += reward
        actions.append(pick.item)
        propensities.append(pick.propensity)
        rewards.append(reward)
    # when the target is "always serve item 1"
    target = (np.array(actions) == 1).astype(float)
    estimate = snips_estimate(np.array(rewards), np.array(propensities), target)
    # then the estimate recovers that item's true CTR
    assert estimate.low <= true_ctr[1] <= estimate.high
    assert estimate.value == pytest.approx(true_ctr[1], abs=0.02)


@pytest.mark.parametrize(
    ("rewards", "logging", "target"),
    [
        ([], [], []),
        ([1.0], [0.0], [0.5]),
        ([1.0], [0.5], [1.5]),
        ([1.0, 0.0], [0.5], [0.5, 0.5]),
        ([1.0], [0.5], [0.0]),
    ],
)
def test_snips_refuses_malformed_logs(rewards: list, logging: list, target: list) -> None:
    with pytest.raises(ValueError, match=r"propensit|probabilit|policy|long"):
        snips_estimate(np.array(rewards), np.array(logging), np.array(target))


def test_explorer_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="clicks"):
        ThompsonExplorer().posterior(np.array([3.0]), np.array([4.0]))
    with pytest.raises(ValueError, match="uniform_share"):
        ThompsonExplorer(uniform_share=0.0)
