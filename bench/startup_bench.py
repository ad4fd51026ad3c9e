"""What each test process pays before its first test: Django's start-up and its database.

Run from the checkout with the test settings' environment (DATABASE_URL for
PostgreSQL, none for SQLite)::

    .venv/bin/python bench/startup_bench.py [--rounds 3]

Prints, alternating the two variants in each round so that both see the same
load, the wall time of

* a Django process start (``django.setup()`` and the URL conf), as it is, and
  with scikit-learn and implicit imported up front as the engine used to;
* a test database: migrated from empty (Django's ``create_test_db``, what every
  pytest-xdist worker used to do) and copied from the migrated template
  (``tests/dbtemplate.py``, what they do now);

with the load average before and after, and the ratios.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START = (
    "import django; django.setup(); "
    "from django.urls import get_resolver; get_resolver().url_patterns"
)
EAGER = "import sklearn.feature_extraction.text, sklearn.preprocessing, implicit.cpu.als; "
DATABASE = """
import time, django
django.setup()
from django.db import connections
from tests import dbtemplate
connection = connections["default"]
connection.settings_dict["TEST"]["NAME"] = connection.creation._get_test_db_name() + "_bench"
began = time.perf_counter()
if {migrate}:
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
else:
    dbtemplate.clone_from_template("default", 0, False)
print(time.perf_counter() - began)
connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
"""


def _python(code: str) -> tuple[float, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kfplatform.settings.test"}
    began = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return time.perf_counter() - began, result.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    print(f"load average before: {os.getloadavg()}")
    starts: dict[str, list[float]] = {"lazy (now)": [], "eager (before)": []}
    databases: dict[str, list[float]] = {"copied (now)": [], "migrated (before)": []}
    _python(DATABASE.format(migrate=False))  # builds the template if this state has none
    for _ in range(rounds):
        starts["lazy (now)"].append(_python(START)[0])
        starts["eager (before)"].append(_python(EAGER + START)[0])
        databases["copied (now)"].append(float(_python(DATABASE.format(migrate=False))[1]))
        databases["migrated (before)"].append(float(_python(DATABASE.format(migrate=True))[1]))
    print(f"load average after: {os.getloadavg()}")
    for title, figures in (("Django process start", starts), ("test database", databases)):
        now, before = (statistics.median(values) for values in figures.values())
        medians = ", ".join(f"{k} {statistics.median(v):.2f} s" for k, v in figures.items())
        print(f"{title}: {medians}")
        print(f"  ratio now/before: {now / before:.2f}")


if __name__ == "__main__":
    main()
