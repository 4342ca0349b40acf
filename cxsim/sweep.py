"""Sweeps: every job's files gathered into one table, summary plots, resumable jobs.

A Hydra multirun (``cxsim -m ...``) writes one run folder per job under
``hydra.sweep.dir`` (``results/sweeps/<date>/<job number>`` by default).
When the multirun ends, :class:`SweepCallback` (configured in
``conf/hydra/callbacks/sweep.yaml``) calls :func:`aggregate`, which reads
the folders back from disk and writes

* ``<sweep>/sweep_summary.parquet``: one row per job and dealer: the job's
  overrides (one column per key), seed, the programme's yearly cost
  (``budget_k``, ``cxsim.programme``) and every KPI of the run's ``summary.json``;
* ``<sweep>/sweep_lift.parquet`` and ``<sweep>/plots/*.png``: the focal
  dealer's lift against each numeric swept parameter (and against the yearly
  budget when it varies), paired on seeds (common random numbers), with a
  95 % Student-t band over seeds.

The same runs from any launcher give the same table: rows are ordered by job
and dealer, and nothing in them depends on where or when a job ran.

Resuming: a job whose folder already holds complete results for the same
configuration is skipped (:func:`cxsim.run.job_done`, called by the ``cxsim`` job),
so a sweep that was killed is completed by running the same command again
with the same fixed ``hydra.sweep.dir``.

Launchers (``conf/hydra/launcher``, chosen with ``hydra/launcher=NAME``):
``basic`` (Hydra's default, jobs one after another in one process),
``joblib`` or ``cores`` (local worker processes), ``ray_local`` (a private Ray
instance bound to loopback), ``ray_cluster`` (an existing Ray cluster,
``RAY_ADDRESS``) and ``slurm`` (submitit job arrays)::

    cxsim -m seed=1,2,3,4 investment=cx_program investment.spend.service=0,150,300 \
        hydra/launcher=joblib hydra.launcher.n_jobs=2 hydra.sweep.dir=results/sweeps/service

Run by hand (e.g. on a sweep that was stopped, or from several machines)::

    python -m cxsim.sweep results/sweeps/2026-01-01_12-00-00
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from cxsim.programme import Programme
from cxsim.results import write_parquet
from cxsim.run import is_complete
from cxsim.sweep_lift import BAND_COLUMNS, IDENTITY, lift_axes, lift_bands, plot_sweep

log = logging.getLogger(__name__)

SWEEP_SUMMARY = "sweep_summary.parquet"
SWEEP_LIFT = "sweep_lift.parquet"

# -- launchers -------------------------------------------------------------------------------
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def ray_environment(launcher: DictConfig | None) -> dict[str, str]:
    """Environment a Ray launcher needs before Ray starts; empty for other launchers.

    A launcher whose ``ray.init._node_ip_address`` is a loopback address gets
    ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` so that every Ray server binds to
    loopback; any Ray launcher gets usage statistics turned off (unless the
    environment already says otherwise).
    """
    target = str((launcher or {}).get("_target_", ""))
    if "hydra_ray_launcher" not in target:
        return {}
    env = {"RAY_USAGE_STATS_ENABLED": os.environ.get("RAY_USAGE_STATS_ENABLED", "0")}
    init = OmegaConf.select(launcher, "ray.init") or {}
    if str(init.get("_node_ip_address", "")) in LOOPBACK:
        env["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    return env


# -- reading a sweep -------------------------------------------------------------------------
def _natural(name: str) -> tuple:
    parts = Path(name).parts
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


def job_dirs(sweep_dir: str | os.PathLike) -> list[Path]:
    """Job folders under ``sweep_dir`` (any depth) that hold a ``summary.json``, in job order."""
    root = Path(sweep_dir)
    found = []
    for summary in root.rglob("summary.json"):
        rel = summary.parent.relative_to(root)
        if any(p.startswith(".") for p in rel.parts):
            continue  # staging folders, .hydra, .submitit
        found.append(summary.parent)
    return sorted(found, key=lambda p: _natural(str(p.relative_to(root))))


def incomplete_dirs(sweep_dir: str | os.PathLike) -> list[Path]:
    """Job folders Hydra started (they have ``.hydra/``) whose results are not complete."""
    root = Path(sweep_dir)
    out = [p.parent for p in root.rglob(".hydra") if p.is_dir() and p.parent != root]
    return sorted((p for p in out if not is_complete(p)),
                  key=lambda p: _natural(str(p.relative_to(root))))


def _parse_value(text: str) -> Any:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (bool, int, float, str)) or value is None else text


def job_overrides(job_dir: Path) -> list[str]:
    """The job's own overrides as Hydra recorded them (``.hydra/overrides.yaml``)."""
    path = job_dir / ".hydra" / "overrides.yaml"
    if not path.is_file():
        return []
    return [str(o) for o in (yaml.safe_load(path.read_text()) or [])]


def _override_items(overrides: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for o in overrides:
        if "=" not in o:
            continue
        key, value = o.split("=", 1)
        out[key.lstrip("+~")] = _parse_value(value)
    return out


def read_job(job_dir: Path, name: str) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per dealer of one finished job, and the names of its override columns.

    An override whose key is also a result field (``seed``, ``investment``)
    is left to the result's own value.
    """
    summary = json.loads((job_dir / "summary.json").read_text())
    config = json.loads((job_dir / "config.json").read_text())
    overrides = job_overrides(job_dir)
    base = {"job": name, "overrides": " ".join(overrides)}
    params = _override_items(overrides)
    ident = {k: summary.get(k) for k in IDENTITY}
    ident["budget_k"] = Programme.from_dict(config).cost_k
    fields = set(ident) | set(summary["dealers"][0]) | {"job", "overrides", "focal"}
    params = {k: v for k, v in params.items() if k not in fields}
    rows = []
    for d in summary["dealers"]:
        row = {**base, **params, **ident, "focal": d["dealer"] == summary.get("focal_dealer")}
        row.update(d)
        rows.append(row)
    return rows, list(params)


def _tidy_column(values: pd.Series) -> pd.Series:
    present = [v for v in values if v is not None and not (isinstance(v, float)
                                                            and math.isnan(v))]
    if not present:
        return values.astype(object)
    if all(isinstance(v, bool) for v in present):
        return values.astype("boolean")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return values.astype("Int64") if len(present) < len(values) else values.astype("int64")
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return values.astype(float)
    return values.map(lambda v: None if v is None else str(v)).astype(object)


def sweep_table(sweep_dir: str | os.PathLike) -> pd.DataFrame:
    """One row per finished job and dealer, read from the job folders (nothing written)."""
    root = Path(sweep_dir)
    from tqdm import tqdm

    rows: list[dict[str, Any]] = []
    params: dict[str, None] = {}
    for job in tqdm(job_dirs(root), desc="aggregating", unit="job", leave=False,
                    disable=None):  # shown on a terminal only
        if not is_complete(job):
            continue
        job_rows, keys = read_job(job, str(job.relative_to(root)))
        params.update(dict.fromkeys(keys))
        rows.extend(job_rows)
    head = ["job", "overrides"]
    tail = [*IDENTITY, "budget_k", "dealer", "focal"]
    if not rows:
        return pd.DataFrame(columns=head + tail)
    table = pd.DataFrame(rows)
    # job, overrides, the override keys, identity, dealer, focal, then the KPIs
    taken = set(head) | set(tail) | set(params)
    table = table[head + list(params) + tail + [c for c in table.columns if c not in taken]]
    for c in table.columns:
        if table[c].dtype == object:
            table[c] = _tidy_column(table[c])
    return table.reset_index(drop=True)


# -- writing ----------------------------------------------------------------------------------
def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` next to ``path`` and move it into place (never half written)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write_parquet(frame, tmp)  # NaN as null, as in every result file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def aggregate(sweep_dir: str | os.PathLike, *, plots: bool = True) -> pd.DataFrame:
    """Gather a sweep's finished jobs into ``sweep_summary.parquet`` (+ lift table, plots).

    Returns the table: one row per job and dealer. Jobs that did not finish
    are left out and named in the log; run the sweep again to complete them.
    """
    root = Path(sweep_dir)
    if not root.is_dir():
        raise FileNotFoundError(f"no sweep folder {root}")
    table = sweep_table(root)
    _write_parquet(table, root / SWEEP_SUMMARY)
    xs = lift_axes(table) if len(table) else []
    if xs:
        bands = pd.concat([lift_bands(table, x) for x in xs], ignore_index=True)
        _write_parquet(bands, root / SWEEP_LIFT)
    else:
        bands = pd.DataFrame(columns=BAND_COLUMNS)
    if plots and len(table):
        plot_sweep(table, bands, root / "plots")
    missing = incomplete_dirs(root)
    if missing:
        log.warning("%d job(s) did not finish: %s (run the sweep again to complete them)",
                    len(missing), ", ".join(str(p.relative_to(root)) for p in missing))
    return table


class SweepCallback(Callback):
    """Hydra callback: Ray's environment when a multirun starts, aggregation when it ends."""

    def __init__(self, plots: bool = True) -> None:
        self.plots = plots

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        env = ray_environment(OmegaConf.select(config, "hydra.launcher"))
        if env and "ray" in sys.modules:  # pragma: no cover - Ray read it already
            log.warning("Ray was imported before the sweep started; set %s in the "
                        "environment instead", " ".join(f"{k}={v}" for k, v in env.items()))
        os.environ.update(env)

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        if not sweep_dir.is_dir():
            return
        table = aggregate(sweep_dir, plots=self.plots)
        jobs = table["job"].nunique() if len(table) else 0
        print(f"cxsim: aggregated {jobs} jobs -> {sweep_dir / SWEEP_SUMMARY}")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cxsim.sweep SWEEP_DIR``: (re)aggregate a sweep folder."""
    from cxsim.safety import SWEEP_MARK
    from cxsim.study_cli import OneLineParser

    parser = OneLineParser(
        prog="cxsim-aggregate",
        description="Gather a sweep's job folders into sweep_summary.parquet and plots.")
    parser.add_argument("sweep_dir", help="the multirun's hydra.sweep.dir")
    parser.add_argument("--no-plots", action="store_true", help="write the tables only")
    args = parser.parse_args(argv)
    root = Path(args.sweep_dir)
    if not root.is_dir():
        parser.error(f"no sweep folder {root}; allowed: a multirun's hydra.sweep.dir")
    if not ((root / SWEEP_MARK).is_file() or (root / "multirun.yaml").is_file()):
        parser.error(f"{root} is not a cxsim sweep folder (no multirun.yaml); allowed: "
                     "a multirun's hydra.sweep.dir")
    table = aggregate(args.sweep_dir, plots=not args.no_plots)
    root = Path(args.sweep_dir)
    jobs = table["job"].nunique() if len(table) else 0
    print(f"cxsim-aggregate: {jobs} jobs, {len(table)} rows -> {root / SWEEP_SUMMARY}")
    missing = incomplete_dirs(root)
    if missing:
        print(f"cxsim-aggregate: {len(missing)} job(s) not finished: "
              + ", ".join(str(p.relative_to(root)) for p in missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
