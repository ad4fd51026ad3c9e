"""The public_face import-linter contract type (lint/public_face.py)."""

import sys
from pathlib import Path

import grimp
import pytest
from importlinter.domain.contract import ContractCheck

from lint.public_face import PublicFaceContract


def _check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str, **extra: str
) -> ContractCheck:
    # given two apps: "shop" with a public face and private models, and "pages" using it
    for path, text in {
        "shop/__init__.py": "",
        "shop/models.py": "",
        "shop/services.py": "from shop import models\n",
        "shop/selectors/__init__.py": "",
        "shop/selectors/orders.py": "",
        "pages/__init__.py": "",
        "pages/views.py": page,
    }.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("shop", "pages", cache_dir=None)
    options = {
        "source_modules": ["pages"],
        "app_packages": ["shop", "pages"],
        "public_modules": ["*.services", "*.selectors"],
        **{k: [v] for k, v in extra.items()},
    }
    contract = PublicFaceContract(name="faces", session_options={}, contract_options=options)
    try:
        return contract.check(graph, verbose=False)
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] in ("shop", "pages")]:
            del sys.modules[name]


@pytest.mark.parametrize(
    "page",
    ["from shop.services import x\n", "from shop.selectors.orders import y\n", "import shop\n"],
)
def test_services_selectors_and_their_submodules_are_the_public_face(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    assert _check(tmp_path, monkeypatch, page).kept


def test_any_other_module_of_another_app_breaks_the_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # when a page imports the shop's models
    check = _check(tmp_path, monkeypatch, "from shop.models import Order\n")
    # then the contract is broken, naming the import and its line
    assert not check.kept
    assert check.metadata["illegal"] == [("pages.views", "shop.models", (1,))]


def test_a_listed_exception_keeps_the_contract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # when the import of the models is listed as an exception
    check = _check(
        tmp_path,
        monkeypatch,
        "from shop.models import Order\n",
        ignore_imports="pages.views -> shop.models",
    )
    # then the contract is kept and counts the exception
    assert check.kept
    assert check.ignored_import_count == 1
