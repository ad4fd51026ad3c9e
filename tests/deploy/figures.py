"""The deploy tests' measured figures, kept in a file that outlives pytest-xdist's workers.

tests/conftest.py prints them at the end of the run; docs/operations.md quotes them.
"""

import json
import os
from pathlib import Path

FIGURES = Path(__file__).resolve().parents[2] / "var" / "test-figures" / "production.json"


def figures_record(name: str, value: object) -> None:
    """Keep one figure of this run (a new run, told by the pytest run id, starts afresh)."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getppid()))
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    if current.get("_run") != run:
        current = {"_run": run}
    current[name] = value
    FIGURES.write_text(json.dumps(current, indent=1))
