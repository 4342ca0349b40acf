"""Resuming a sweep: which run folders are complete, and of which config.

A sweep that was interrupted is rerun with the same command; every job whose
folder already holds complete results of exactly its config is skipped
(``cxsim`` calls :func:`job_done` in each job; ``cxsim.sweep`` lists what is
left with :func:`is_complete`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from cxsim.config import RunConfig
from cxsim.results import CONFIG, CUSTOMERS, SUMMARY, WEEKLY, config_json, manifest_ok

RESULT_FILES = (WEEKLY, CUSTOMERS, SUMMARY, CONFIG)
"""Files every finished run folder holds (``plots/`` too when ``plots=true``)."""


def is_complete(folder: str | os.PathLike) -> bool:
    """True if the folder holds every result file of a finished run, each as its
    manifest (written last) records it: a corrupt or truncated file makes it incomplete."""
    job = Path(folder)
    if not all((job / f).is_file() for f in RESULT_FILES) or not manifest_ok(job):
        return False
    try:
        cfg = json.loads((job / CONFIG).read_text())
        json.loads((job / SUMMARY).read_text())
    except (OSError, ValueError):
        return False
    return not cfg.get("plots") or (job / "plots").is_dir()


def job_done(folder: str | os.PathLike, cfg: RunConfig) -> bool:
    """True if ``folder`` holds complete results of exactly this config.

    Leftover staging folders of a run that was killed (``.partial-*``) are
    removed either way, so a rerun starts clean.
    """
    job = Path(folder)
    for stale in job.glob(".partial-*"):
        shutil.rmtree(stale, ignore_errors=True)
    if not is_complete(job):
        return False
    try:
        return json.loads((job / CONFIG).read_text()) == json.loads(config_json(cfg))
    except (OSError, ValueError):
        return False
