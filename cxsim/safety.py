"""Output folders that never cost a user a file.

A single run is built in a staging folder beside its target
(``.<name>.cxsim-partial``) and renamed onto the target only when complete;
the target must be new or empty. A failure or an interrupt removes the
staging folder (and any parent folders this run created), nothing else.
The staging folder holds a lock file that the writing process keeps locked
(``fcntl.flock``: released by the kernel when the process dies, so a killed
run's leftover is recognised as stale, not as a second writer).

A sweep writes into its own folder, marked ``.cxsim-sweep``; an existing
folder is accepted only if it carries that mark (or Hydra's
``multirun.yaml``, from sweeps made before the mark), so that resuming works
and a user's own folder is refused. The sweep holds ``.cxsim-sweep.lock``
while it runs.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO

from cxsim.config import ConfigError

SWEEP_MARK = ".cxsim-sweep"
LOCK = ".cxsim.lock"


def _lock(path: Path) -> IO[str] | None:
    """An open, exclusively locked file at ``path``, or None if another process holds it."""
    handle = open(path, "a+")  # noqa: SIM115 - held open for the lock's lifetime
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def _why(exc: OSError) -> str:
    return {errno.EACCES: "permission denied", errno.EROFS: "read-only file system",
            errno.ENOTDIR: "a file is in the way", errno.EEXIST: "a file is in the way",
            errno.ENOSPC: "no space left"}.get(exc.errno or 0, exc.strerror or str(exc))


def _make_parents(folder: Path, key: str) -> list[Path]:
    """Create ``folder``'s missing parents; return those created, deepest first."""
    made: list[Path] = []
    for parent in reversed(folder.parents):
        if parent.is_dir():
            continue
        try:
            parent.mkdir()
        except OSError as exc:
            _remove_parents(made)
            raise ConfigError(f"{key}={folder}: cannot create {parent} ({_why(exc)}); "
                              "allowed: a folder path you may write to") from None
        made.insert(0, parent)
    return made


def _remove_parents(made: list[Path]) -> None:
    for parent in made:  # deepest first; only if still empty
        try:
            parent.rmdir()
        except OSError:
            break


def _absolute(text: str, key: str) -> Path:
    if text.strip() in ("", "."):
        raise ConfigError(f"{key} is empty; allowed: a folder path (not the current folder)")
    return Path(text).expanduser().absolute()


# What a report folder (an experiment's, a study's) holds; any other name is a user's.
_REPORT_FILES = (".md", ".parquet", ".png", ".json", ".log")
_REPORT_DIRS = (".hydra", "conf")  # Hydra's record of the config, and its copy


def foreign(entries: set[str], folder: Path) -> list[str]:
    """What in ``folder`` is not part of an earlier report (everything, if it has no
    ``report.md``): replacing a report whole must lose no file of the user's."""
    if "report.md" not in entries:
        return sorted(entries)
    return sorted(n for n in entries if not (
        (n in _REPORT_DIRS and (folder / n).is_dir())
        or (n.endswith(_REPORT_FILES) and (folder / n).is_file())))


def check_target(folder: Path, key: str, *, allow_ours: bool = False,
                 allow_report: bool = False) -> None:
    """Refuse a file in the way, or a folder holding files (a cxsim sweep's if
    ``allow_ours``, an earlier report's and nothing else if ``allow_report``)."""
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"{key}={folder} is a file; allowed: a new or empty folder")
    if folder.is_dir():
        try:
            entries = {p.name for p in folder.iterdir()}
        except OSError as exc:
            raise ConfigError(f"{key}={folder}: cannot read it ({_why(exc)})") from None
        ours = allow_ours and bool(entries & {SWEEP_MARK, "multirun.yaml"})
        others = foreign(entries, folder) if allow_report else sorted(entries)
        if others and not ours:
            what = "an earlier report alone" if allow_report else "a cxsim sweep folder"
            raise ConfigError(
                f"{key}={folder} is not empty, and not {what} "
                f"(holds {', '.join(others[:3])}{', ...' if len(others) > 3 else ''}); "
                "allowed: a new or empty folder")


class RunFolder:
    """The staging folder of one single run and its commit onto the target."""

    def __init__(self, target: str, key: str = "hydra.run.dir", *,
                 replace_report: bool = False) -> None:
        """``replace_report``: the target may be an earlier report (report files only),
        which the finished one replaces whole (experiments and studies rerun in place)."""
        self.target = _absolute(target, key)
        self.key = key
        self.replace_report = replace_report
        check_target(self.target, key, allow_report=replace_report)
        self.made = _make_parents(self.target, key)
        self.staging = self.target.parent / f".{self.target.name}.cxsim-partial"
        self._handle: IO[str] | None = None
        try:
            self._claim()
        except BaseException:
            _remove_parents(self.made)
            raise

    def _claim(self) -> None:
        try:
            fresh = Path(tempfile.mkdtemp(prefix=".cxsim-new-", dir=self.target.parent))
        except OSError as exc:
            raise ConfigError(f"{self.key}={self.target}: cannot write in "
                              f"{self.target.parent} ({_why(exc)}); allowed: a folder "
                              "path you may write to") from None
        umask = os.umask(0)
        os.umask(umask)
        fresh.chmod(0o777 & ~umask)  # mkdtemp's 0700 would hide the results from others
        handle = _lock(fresh / LOCK)
        assert handle is not None
        try:
            fresh.rename(self.staging)  # atomic: a staging folder always has its lock
        except OSError:
            old = _lock(self.staging / LOCK)  # None: its writer is alive
            if old is None:
                handle.close()
                shutil.rmtree(fresh, ignore_errors=True)
                raise ConfigError(f"{self.key}={self.target}: another cxsim run is writing "
                                  "there; allowed: one run per folder") from None
            old.close()
            shutil.rmtree(self.staging, ignore_errors=True)  # a killed run's leftover
            fresh.rename(self.staging)
        self._handle = handle

    def commit(self) -> None:
        """Move the finished run onto the target (which must still be new or empty)."""
        (self.staging / LOCK).unlink(missing_ok=True)
        old = self.target.parent / f".{self.target.name}.cxsim-old"
        if self.replace_report and self.target.is_dir() and any(self.target.iterdir()):
            check_target(self.target, self.key, allow_report=True)  # still ours alone
            shutil.rmtree(old, ignore_errors=True)
            self.target.rename(old)  # kept until the new report is in place
        try:
            self.staging.rename(self.target)
            shutil.rmtree(old, ignore_errors=True)
        except OSError:
            if old.is_dir() and not self.target.exists():
                old.rename(self.target)
            self.abandon()
            raise ConfigError(f"{self.key}={self.target} was filled by another process "
                              "meanwhile; nothing kept") from None
        self._release()

    def abandon(self) -> None:
        """Remove what this run created (the staging folder, new parents), nothing else."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self._release()
        _remove_parents(self.made)

    def _release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class SweepFolder:
    """A sweep's folder: a new, empty or earlier cxsim sweep folder, locked while in use."""

    def __init__(self, target: str, key: str = "hydra.sweep.dir") -> None:
        self.target = _absolute(target, key)
        check_target(self.target, key, allow_ours=True)
        made = _make_parents(self.target, key)
        try:
            self.target.mkdir(exist_ok=True)
        except OSError as exc:
            _remove_parents(made)
            raise ConfigError(f"{key}={self.target}: cannot create it ({_why(exc)}); "
                              "allowed: a folder path you may write to") from None
        (self.target / SWEEP_MARK).touch()
        handle = _lock(self.target / LOCK)
        if handle is None:
            raise ConfigError(f"{key}={self.target}: another cxsim sweep is writing there; "
                              "allowed: one sweep per folder")
        self._handle: IO[str] | None = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            (self.target / LOCK).unlink(missing_ok=True)
