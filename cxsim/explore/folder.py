"""An exploration's folder: staged beside its target, kept when interrupted, resumed.

The report is built in ``.<name>.explore-partial`` beside the target folder and
renamed onto it when complete; the target must be new or empty (nothing is
ever overwritten). Unlike a single run's staging folder, this one survives an
interrupt: it holds the finished scenarios (:mod:`cxsim.explore.runs`) and
``study.json``, the settings that fix their numbers, so the same command with
the same ``--out`` goes on where it stopped. A folder of another study is
refused. A lock file held by the writing process keeps a second one out.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import IO, Any

from cxsim.config import ConfigError
from cxsim.safety import check_target

STUDY = "study.json"
LOCK = ".explore.lock"


class ExploreFolder:
    """The staging folder of one exploration (created, or found and checked)."""

    def __init__(self, target: str | os.PathLike, fingerprint: dict[str, Any]) -> None:
        text = str(target)
        if text.strip() in ("", "."):
            raise ConfigError("--out is empty; allowed: a folder path")
        self.target = Path(text).expanduser().absolute()
        check_target(self.target, "--out")  # new or empty: never overwrite
        self.staging = self.target.parent / f".{self.target.name}.explore-partial"
        self.fingerprint = json.loads(json.dumps(fingerprint, default=str))
        self.resumed = self.staging.is_dir()
        if self.resumed:
            try:
                kept = json.loads((self.staging / STUDY).read_text())
            except (OSError, ValueError):
                kept = None
            if kept != self.fingerprint:
                raise ConfigError(f"--out={self.target}: {self.staging.name} holds an "
                                  "exploration of other settings; allowed: the same file, "
                                  "--scenarios, --replications and seed, or another --out")
        self._handle: IO[str] | None = None

    def open(self) -> Path:
        """Create (or take) the staging folder and lock it; returns it."""
        self.staging.mkdir(parents=True, exist_ok=True)
        handle = open(self.staging / LOCK, "a+")  # noqa: SIM115 - held for the lock's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ConfigError(f"--out={self.target}: another exploration is writing there; "
                              "allowed: one at a time per folder") from None
        self._handle = handle
        (self.staging / STUDY).write_text(json.dumps(self.fingerprint, indent=2))
        return self.staging

    def commit(self, drop: tuple[str, ...] = ()) -> Path:
        """Move the finished report onto the target (new or empty); ``drop``: staging
        entries not kept in the report."""
        for name in drop:
            shutil.rmtree(self.staging / name, ignore_errors=True)
        (self.staging / LOCK).unlink(missing_ok=True)
        check_target(self.target, "--out")
        if self.target.is_dir():
            self.target.rmdir()  # empty, checked just now
        self.staging.rename(self.target)
        self.close()
        return self.target

    def abandon(self) -> None:
        """Give up before any run (a launcher that did not start): a staging folder this
        command created goes, one it resumed stays as it was."""
        self.close()
        if not self.resumed:
            shutil.rmtree(self.staging, ignore_errors=True)

    def close(self) -> None:
        """Release the lock (the staging folder stays for a resume)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None
