"""A plain (non-editable) install: the wheel carries conf/ and runs from any folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import cxsim

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "cxsim", "conf", "hydra_plugins")


def _files(folder: str, pattern: str) -> set[str]:
    return {p.relative_to(REPO).as_posix() for p in (REPO / folder).rglob(pattern)
            if "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel pip builds, from a copy of the sources (the checkout stays clean)."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                           "-w", str(base / "dist"), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (found,) = (base / "dist").glob(f"cxsim-{cxsim.__version__}-*.whl")  # version: one place
    return found


def test_wheel_holds_every_module_and_every_conf_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    conf = {f"cxsim/{f}" for f in _files("conf", "*.yaml")}
    assert "cxsim/conf/config.yaml" in conf and "cxsim/conf/industry/boat.yaml" in conf
    assert conf <= names, sorted(conf - names)
    code = _files("cxsim", "*.py") | _files("hydra_plugins", "*.py")
    assert code <= names, f"missing from [tool.setuptools] packages: {sorted(code - names)}"


def test_plain_install_runs_from_an_unrelated_folder(wheel, tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                           "--target", str(target), str(wheel)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}  # the installed copy, not the checkout
    code = "from cxsim.compose import CONF_DIR; print(CONF_DIR)"
    where = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env,
                           capture_output=True, text=True, timeout=120)
    assert Path(where.stdout.strip()) == target / "cxsim" / "conf", where.stderr
    run = elsewhere / "run"
    # industry=boat reads a preset from the installed conf/; the default sweeper
    # (a Hydra plugin) must be found there too
    proc = subprocess.run([sys.executable, "-m", "cxsim", "industry=boat", "sample.customers=500",
                           "market.years=0.2", "plots=false", "progress=false",
                           f"hydra.run.dir={run}"],
                          cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    config = json.loads((run / "config.json").read_text())
    assert config["market"]["industry"] == "boat" and config["sample"]["customers"] == 500
