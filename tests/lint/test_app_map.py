"""docs/architecture.md shows the app map that .importlinter enforces."""

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _app_map() -> str:
    script = runpy.run_path(str(ROOT / "docs" / "app_map.py"))
    return str(script["mermaid"]())


def test_the_architecture_page_shows_the_map_the_contracts_draw() -> None:
    # given the diagram generated from the contracts
    diagram = _app_map()
    # then every layer appears and the page carries it verbatim (regenerate and paste on change)
    for app in ("kfplatform", "me", "dashboard", "ops", "demo", "courses", "common"):
        assert f"        {app}\n" in diagram
    assert diagram in (ROOT / "docs" / "architecture.md").read_text()
