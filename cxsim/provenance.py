"""Where a result came from: ``provenance.json`` in every run and sweep folder.

The cxsim version; the git commit and whether the checkout had uncommitted
changes (when cxsim runs from a checkout); Python, key packages and the
platform; the command line; start and end time (UTC). Result files hold none
of this, so that the same config and seed still give byte-identical results.
"""

from __future__ import annotations

import functools
import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PROVENANCE = "provenance.json"
PACKAGES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "hydra-core", "omegaconf",
            "networkx")
STARTED = datetime.now(UTC).isoformat(timespec="seconds")  # when this process started
COMMAND = list(sys.argv)  # as typed: the cxsim command rewrites sys.argv for Hydra


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                             text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def _static() -> dict[str, Any]:
    """What a process reports the same each time (once per process: a sweep's worker
    writes hundreds of folders, and the git calls and package look-ups cost ~0.1 s)."""
    import cxsim

    root = Path(__file__).resolve().parent.parent
    commit = _git(root, "rev-parse", "HEAD") if (root / ".git").exists() else None
    dirty = None
    if commit is not None:
        dirty = bool(_git(root, "status", "--porcelain", "--untracked-files=no"))
    return {
        "cxsim": cxsim.__version__,
        "git_commit": commit,
        "git_dirty": dirty,
        "python": sys.version.split()[0],
        "packages": {p: _version(p) for p in PACKAGES},
        "platform": platform.platform(),
    }


def collect(started: str | None = None) -> dict[str, Any]:
    """The provenance record of this process, now."""
    return {
        **_static(),
        "command": COMMAND,
        "started": started or STARTED,
        "ended": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write(folder: str | Path, started: str | None = None) -> Path:
    """Write ``provenance.json`` into ``folder``; return its path."""
    path = Path(folder) / PROVENANCE
    path.write_text(json.dumps(collect(started), indent=2))
    return path
