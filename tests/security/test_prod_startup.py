"""Production refuses to start with a payment set-up that could be forged (issue 12)."""

import pytest

from tests.kfplatform.test_settings import PROD_ENV, _load_prod

SANDBOX_STAGING = {
    **PROD_ENV,
    "COMMERCE_GATEWAY": "sandbox",
    "COMMERCE_SANDBOX_ENABLED": "true",
    "COMMERCE_SANDBOX_WEBHOOK_SECRET": "whsec_from_the_staging_environment",
}


def _settings_of(env: dict[str, str], *names: str) -> list[str]:
    code = "from django.conf import settings; " + "; ".join(
        f"print(repr(settings.{name}))" for name in names
    )
    result = _load_prod(env, code=code)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")[-1 - len(names) : -1]


def test_production_has_no_default_gateway() -> None:
    result = _load_prod({k: v for k, v in PROD_ENV.items() if k != "COMMERCE_GATEWAY"})
    assert result.returncode != 0
    assert "COMMERCE_GATEWAY" in result.stderr


def test_a_stripe_site_refuses_the_sandbox_by_default() -> None:
    assert _settings_of(
        PROD_ENV, "COMMERCE_SANDBOX_ENABLED", "COMMERCE_SANDBOX_WEBHOOK_SECRET"
    ) == [
        "False",
        "''",
    ]


def test_the_sandbox_gateway_without_the_staging_switch_refuses_to_start() -> None:
    env = {**SANDBOX_STAGING}
    del env["COMMERCE_SANDBOX_ENABLED"]
    result = _load_prod(env)
    assert result.returncode != 0
    assert "COMMERCE_SANDBOX_ENABLED" in result.stderr


@pytest.mark.parametrize(
    "secret", [None, "", "whsec_sandbox_dev_only"], ids=["unset", "empty", "published"]
)
def test_an_enabled_sandbox_needs_its_own_secret_from_the_environment(secret: str | None) -> None:
    env = {**SANDBOX_STAGING}
    if secret is None:
        del env["COMMERCE_SANDBOX_WEBHOOK_SECRET"]
    else:
        env["COMMERCE_SANDBOX_WEBHOOK_SECRET"] = secret
    result = _load_prod(env)
    assert result.returncode != 0
    assert "COMMERCE_SANDBOX_WEBHOOK_SECRET" in result.stderr


def test_a_staging_site_runs_the_sandbox_with_its_own_secret() -> None:
    assert _settings_of(SANDBOX_STAGING, "COMMERCE_GATEWAY", "COMMERCE_SANDBOX_WEBHOOK_SECRET") == [
        "'sandbox'",
        "'whsec_from_the_staging_environment'",
    ]


@pytest.mark.parametrize("name", ["COMMERCE_STRIPE_SECRET_KEY", "COMMERCE_STRIPE_WEBHOOK_SECRET"])
def test_a_stripe_site_needs_both_stripe_keys(name: str) -> None:
    result = _load_prod({**PROD_ENV, name: ""})
    assert result.returncode != 0
    assert "STRIPE_" in result.stderr
