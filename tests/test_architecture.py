"""The architecture as checks: data flows one way (files -> events/ -> geo/ -> app.py), enforced by
import-linter's contracts in .importlinter; and one error base, AtlasError, that the roots catch."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from events import errors, exports, labels, sources, store
from geo import boundaries, control, mapview, snapshot
from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(folder: Path) -> subprocess.CompletedProcess:
    """import-linter on `folder` (its .importlinter), without writing a cache into it."""
    assert LINT_IMPORTS.exists(), "import-linter is not installed in this venv (requirements.txt)"
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=folder, capture_output=True,
                          text=True, timeout=120)


def test_the_import_contracts_hold():
    """Issue 10: events/ imported geo.mapview and geo.control (exports) and geo.gazetteer (its CLI)."""
    out = lint_imports(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 kept, 0 broken" in out.stdout, out.stdout


@pytest.mark.parametrize("package, module, code, broken", [
    ("events", "labels_extra", "def colour():\n    from geo import mapview  # lazy, as exports.py once did\n"
                               "    return mapview.EVENT_COLOURS\n", "events._violation -> geo.mapview"),
    ("events", "page", "import app\n", "events._violation -> app"),
    ("geo", "widgets", "import streamlit as st\n", "geo._violation -> streamlit"),
    ("i18n", "labels", "from events import labels\n", "i18n._violation -> events.labels"),
])
def test_a_forbidden_import_breaks_the_contract(tmp_path, package, module, code, broken):
    """The same contracts on a copy of the packages plus one forbidden import: lint-imports must fail."""
    for name in ("i18n", "events", "geo", "ui"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("data", "locales", "__pycache__"))
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    assert lint_imports(tmp_path).returncode == 0  # the copy alone is clean
    (tmp_path / package / "_violation.py").write_text(f'"""A forbidden {module} import."""\n{code}')
    out = lint_imports(tmp_path)
    assert out.returncode == 1 and "BROKEN" in out.stdout and broken in out.stdout, out.stdout + out.stderr


USER_ERRORS = [store.StoreError, sources.ImportFailure, exports.ExportError, control.ControlError,
               boundaries.BoundaryError, snapshot.SnapshotError, errors.UsageError]


@pytest.mark.parametrize("error", USER_ERRORS, ids=lambda e: e.__name__)
def test_every_user_error_is_an_atlas_error(error):
    assert issubclass(error, errors.AtlasError)


def test_the_value_errors_stay_value_errors():
    """`except ValueError` written before AtlasError still catches what it caught."""
    for error in (exports.ExportError, control.ControlError, boundaries.BoundaryError, snapshot.SnapshotError):
        assert issubclass(error, ValueError), error


def test_labels_are_defined_once():
    """The map and the exports colour and date incidents from the same definitions."""
    assert mapview.EVENT_COLOURS is labels.EVENT_COLOURS and mapview.PRECISION_LABELS is labels.PRECISION_LABELS
    assert mapview.date_label is labels.date_label and mapview.killed_text is labels.killed_text


@pytest.mark.parametrize("cli, args, message", [
    ("events", ["list", "--from", "2014-13-45"], "error: --from '2014-13-45' is not a date"),
    ("events", ["list", "--type", "Fights"], "error: unknown event type 'Fights'"),
    ("geo", ["snapshot", "--out", "x.html", "--to", "someday"], "error: --to 'someday' is not a date"),
    ("geo", ["snapshot", "--store", "missing.gpkg", "--out", "x.html", "--date", "2016-06-01"],
     "error: missing.gpkg: "),
])
def test_a_bad_argument_is_one_line_and_exit_2(tmp_path, cli, args, message):
    """The roots of both command lines catch AtlasError: one `error:` line on stderr, status 2."""
    out = subprocess.run([sys.executable, "-m", cli, *args], cwd=tmp_path, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 2 and out.stderr.startswith(message), out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr and out.stdout == ""
    assert not (tmp_path / "x.html").exists()
