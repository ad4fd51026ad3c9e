"""Variables renamed to their app's prefix still work under the old name for one release."""

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from ops.renamed_variables import (
    RENAMED_VARIABLES,
    RenamedVariableWarning,
    environ_with_renamed_variables,
)

from .test_settings import PROD_ENV, _load_prod

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DIR = ROOT / "kfplatform" / "settings"


def _settings_values(env: dict[str, str], names: list[str]) -> subprocess.CompletedProcess[str]:
    """Print the named settings of kfplatform.settings.test, loaded afresh under ``env``."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in RENAMED_VARIABLES and k not in RENAMED_VARIABLES.values()
    }
    clean["DJANGO_SETTINGS_MODULE"] = "kfplatform.settings.test"
    code = "import django; django.setup(); from django.conf import settings; " + "; ".join(
        f"print(repr(settings.{name}))" for name in names
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_an_old_name_set_alone_answers_to_the_new_one_and_warns() -> None:
    # given: a site still configured with the old name
    environ = {"KF_UPLOAD_MAX_BYTES": "1234", "PATH": "/bin"}
    # when
    with pytest.warns(RenamedVariableWarning) as caught:
        merged = environ_with_renamed_variables(environ)
    # then: read under the new name, the warning names both, the original is untouched
    assert merged["STUDIO_UPLOAD_MAX_BYTES"] == "1234"
    assert [str(w.message) for w in caught] == [
        "KF_UPLOAD_MAX_BYTES is renamed STUDIO_UPLOAD_MAX_BYTES; the old name is read "
        "for this release only. Rename it in the environment or .env."
    ]
    assert environ == {"KF_UPLOAD_MAX_BYTES": "1234", "PATH": "/bin"}


def test_the_new_name_wins_when_both_are_set_and_the_old_one_is_called_ignored() -> None:
    environ = {"STRIPE_SECRET_KEY": "sk_old", "COMMERCE_STRIPE_SECRET_KEY": "sk_new"}
    with pytest.warns(RenamedVariableWarning) as caught:
        merged = environ_with_renamed_variables(environ)
    assert merged["COMMERCE_STRIPE_SECRET_KEY"] == "sk_new"
    assert [str(w.message) for w in caught] == [
        "STRIPE_SECRET_KEY is ignored: COMMERCE_STRIPE_SECRET_KEY is set and wins. "
        "Remove STRIPE_SECRET_KEY."
    ]


def test_new_names_alone_pass_through_without_a_warning() -> None:
    environ = {"STUDIO_UPLOAD_MAX_BYTES": "99", "KF_REPORT_TZ": "UTC"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert environ_with_renamed_variables(environ) == environ


def test_the_warning_is_shown_by_default_unlike_a_deprecation_warning() -> None:
    # Operators read it in gunicorn's and Celery's output, where Python's default
    # filters hide DeprecationWarning.
    assert issubclass(RenamedVariableWarning, FutureWarning)
    assert not issubclass(RenamedVariableWarning, DeprecationWarning)


def test_settings_read_old_names_with_a_warning_on_stderr() -> None:
    # given: old names of an int, a bool, a string and a nested (axes) setting
    env = {
        "KF_UPLOAD_MAX_BYTES": "1234",
        "KF_MODERATION_REQUIRED": "true",
        "KF_MEDIA_URL_KEY": "old-key",
        "KF_LOGIN_FAILURE_LIMIT": "9",
    }
    # when
    result = _settings_values(
        env,
        [
            "STUDIO_UPLOAD_MAX_BYTES",
            "STUDIO_MODERATION_REQUIRED",
            "COURSES_MEDIA_URL_KEY",
            "AXES_FAILURE_LIMIT",
        ],
    )
    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1234", "True", "'old-key'", "9"]
    for old in env:
        line = next(line for line in result.stderr.splitlines() if f" {old} is renamed " in line)
        assert "RenamedVariableWarning" in line
        assert f"renamed {RENAMED_VARIABLES[old]};" in line


def test_settings_take_the_new_name_when_both_are_set() -> None:
    result = _settings_values(
        {"KF_PLATFORM_FEE_PERCENT": "10", "COMMERCE_PLATFORM_FEE_PERCENT": "25"},
        ["COMMERCE_PLATFORM_FEE_PERCENT"],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "25"
    assert "KF_PLATFORM_FEE_PERCENT is ignored: COMMERCE_PLATFORM_FEE_PERCENT is set" in (
        result.stderr
    )


def test_prod_starts_with_required_variables_under_their_old_names() -> None:
    # given: a production environment written before the rename
    old_names = {new: old for old, new in RENAMED_VARIABLES.items()}
    env = {old_names.get(name, name): value for name, value in PROD_ENV.items()}
    assert {"KF_MEDIA_ACCEL_PREFIX", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"} <= set(env)
    # when
    result = _load_prod(
        env,
        code="print(settings.COURSES_MEDIA_ACCEL_PREFIX, settings.COMMERCE_STRIPE_SECRET_KEY)",
    )
    # then: start-up validation and the settings both saw the values
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        PROD_ENV["COURSES_MEDIA_ACCEL_PREFIX"],
        PROD_ENV["COMMERCE_STRIPE_SECRET_KEY"],
    ]
    assert result.stderr.count("RenamedVariableWarning") == 3


@pytest.mark.parametrize(("old", "new"), sorted(RENAMED_VARIABLES.items()))
def test_each_new_name_is_read_by_the_settings_and_each_old_one_no_longer(
    old: str, new: str
) -> None:
    source = "\n".join(p.read_text() for p in sorted(SETTINGS_DIR.glob("*.py")))
    assert re.search(rf"env(\.\w+)?\(\s*\"{new}\"", source), new
    assert not re.search(rf"\"{old}\"", source.replace(f'"{old}": "{new}"', "")), old


def test_operations_docs_list_every_renamed_variable() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    for old, new in RENAMED_VARIABLES.items():
        assert f"| `{old}` | `{new}` |" in text, old


# Tools' caches too: `make typecheck` (CI runs it before the tests) leaves 300 MB of JSON in
# .mypy_cache, which took this walk from under a second to half a minute.
SKIPPED_DIRS = {".git", ".venv", "node_modules", "var", "locale", "__pycache__", "screenshots"}
SKIPPED_DIRS |= {".mypy_cache", ".ruff_cache", ".import_linter_cache", ".hypothesis"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".conf", ".service", ".target", ".ini", ".cfg", ".sh"}
TEXT_SUFFIXES |= {".html", ".js", ".txt", ".yml", ".yaml", ".example", ".json"}
ALLOWED = {
    ROOT / "ops" / "renamed_variables.py",
    Path(__file__).resolve(),
}


def _tree_files() -> list[Path]:
    files = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        for name in filenames:
            path = Path(dirpath) / name
            if path.suffix in TEXT_SUFFIXES or name in ("Makefile", "run", ".env.example"):
                files.append(path)
    return files


def test_old_names_appear_nowhere_but_in_the_rename_table() -> None:
    # A branch written before the rename and merged after it would bring them back:
    # code reading an old setting fails at run time, docs would send operators to it.
    old_name = re.compile(
        r"(?<![A-Z0-9_])(" + "|".join(map(re.escape, RENAMED_VARIABLES)) + r")(?![A-Z0-9_])"
    )
    stale = []
    for path in _tree_files():
        if path in ALLOWED:
            continue
        try:
            lines = path.read_text().splitlines()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(lines, start=1):
            for match in old_name.finditer(line):
                if RENAMED_VARIABLES[match.group(1)] not in line:  # the table's rows name both
                    stale.append(f"{path.relative_to(ROOT)}:{number}: {match.group(1)}")
    assert stale == []
