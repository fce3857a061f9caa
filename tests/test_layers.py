"""The layers point one way (import-linter contracts in pyproject.toml), and the check has teeth."""
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

PACKAGES = ["forms", "renderers", "store", "services", "server", "cli"]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(exe), "--config", str(root / "pyproject.toml"), "--no-cache"], cwd=root,
                          capture_output=True, text=True, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"})


def test_contracts_are_kept():
    r = lint_imports(ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def test_an_upward_import_breaks_the_contract(tmp_path):
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    kinds = tmp_path / "forms" / "kinds.py"
    kinds.write_text(kinds.read_text("utf-8") + "\nfrom server import app  # noqa: E402,F401\n", "utf-8")
    r = lint_imports(tmp_path)
    assert r.returncode != 0
    assert "BROKEN" in r.stdout and "forms.kinds -> server.app" in r.stdout, r.stdout[-3000:]
