"""The public-face contracts in .importlinter cover every module of every app.

Each app's `protected` contract lists the modules other apps may not import
(all but `services` and `selectors`). A module added to an app and left off
its list would be importable from anywhere; this test names it.
"""

import configparser
import pkgutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = {"services", "selectors"}


def _face_contracts() -> dict[str, configparser.SectionProxy]:
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    prefix = "importlinter:contract:face-"
    return {
        name.removeprefix(prefix): config[name]
        for name in config.sections()
        if name.startswith(prefix)
    }


def _listed(value: str) -> set[str]:
    return {line.strip() for line in value.splitlines() if line.strip()}


CONTRACTS = _face_contracts()


def test_every_domain_app_has_a_face_contract() -> None:
    assert set(CONTRACTS) == {
        "courses",
        "commerce",
        "studio",
        "recommendations",
        "accounts",
        "analytics",
    }


@pytest.mark.parametrize("app", sorted(CONTRACTS))
def test_face_contract_protects_every_module_but_services_and_selectors(app: str) -> None:
    # given the app's modules and packages, one level down
    modules = {info.name for info in pkgutil.iter_modules([str(ROOT / app)])}
    # when the contract's list is read
    contract = CONTRACTS[app]
    protected = {m.removeprefix(f"{app}.") for m in _listed(contract["protected_modules"])}
    # then everything but the public face is protected, and nothing else
    assert contract["type"] == "protected"
    assert protected == modules - PUBLIC
    assert PUBLIC & modules, f"{app} shows no services or selectors"


@pytest.mark.parametrize("app", sorted(CONTRACTS))
def test_face_contract_allows_only_the_app_itself_and_the_wiring(app: str) -> None:
    assert _listed(CONTRACTS[app]["allowed_importers"]) == {app, "kfplatform"}
