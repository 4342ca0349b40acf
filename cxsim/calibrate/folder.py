"""A calibration's run folder: staged, kept on an interrupt, resumed, then moved.

A new calibration claims ``results/calibrate/<name>-<time>/`` as a run does
(:class:`cxsim.safety.RunFolder`: never an existing folder of the user's) and
works in its hidden staging folder beside it. An interrupt keeps the staging
folder, with pyabc's database and the inputs it was started with, so
``--resume <folder>`` can finish it; only a complete calibration is moved onto
the target.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from cxsim.config import ConfigError
from cxsim.safety import LOCK, RunFolder, _lock

INPUTS = ("history.csv", "calibration.yaml")
"""Copies of the inputs, kept in the folder: a resume must use the same ones."""


def staging_of(target: Path) -> Path:
    """Where a calibration into ``target`` works until it is complete."""
    return target.parent / f".{target.name}.cxsim-partial"


class CalibrationFolder:
    """The staging folder of one calibration and its commit onto the target."""

    def __init__(self, target: str | Path, *, resume: bool = False) -> None:
        self.target = Path(target).expanduser().absolute()
        self._run: RunFolder | None = None
        if not resume:
            self._run = RunFolder(str(self.target), "--out")
            self.staging = self._run.staging
            return
        self.staging = staging_of(self.target)
        if self.target.exists():
            raise ConfigError(f"--resume {target}: that calibration is complete; allowed: "
                              "the folder of an interrupted calibration")
        if not (self.staging / INPUTS[0]).is_file():
            raise ConfigError(f"--resume {target}: no interrupted calibration there "
                              f"({self.staging.name} not found); allowed: the folder an "
                              "interrupted calibration named")
        self._handle = _lock(self.staging / LOCK)
        if self._handle is None:
            raise ConfigError(f"--resume {target}: another calibration is writing there; "
                              "allowed: one run per folder")

    def same_inputs(self, data: Path, spec: Path) -> None:
        """Refuse a resume whose data or calibration file changed since it started."""
        for mine, given in zip(INPUTS, (data, spec), strict=True):
            if (self.staging / mine).read_bytes() != Path(given).read_bytes():
                raise ConfigError(f"--resume: {given} differs from the one the calibration "
                                  "started with; allowed: the same data and calibration file")

    def keep_inputs(self, data: Path, spec: Path) -> None:
        for mine, given in zip(INPUTS, (data, spec), strict=True):
            shutil.copyfile(given, self.staging / mine)

    def commit(self) -> None:
        """Move the complete calibration onto the target."""
        if self._run is not None:
            self._run.commit()
            return
        (self.staging / LOCK).unlink(missing_ok=True)
        self.staging.rename(self.target)
        self._handle.close()

    def keep(self) -> None:
        """Leave the staging folder for a resume (an interrupt)."""
        if self._run is not None:
            self._run._release()
        else:
            self._handle.close()

    def abandon(self) -> None:
        """Remove what this calibration created (a failure that a resume cannot mend)."""
        if self._run is not None:
            self._run.abandon()
