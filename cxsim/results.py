"""One run folder: tables, summary and resolved config written to disk.

Data flows one way: the model's counters become tidy tables here, tables
become files, and plots are drawn from the files (``cxsim.plots``). Files are
first written into a hidden staging folder and moved into place only when
all of them exist, so a run that fails leaves nothing half written.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from cxsim.config import SEGMENTS, WEEKS_PER_YEAR, RunConfig
from cxsim.customers import STAGES
from cxsim.metrics import FUNNEL, summarise
from cxsim.model import CxModel

WEEKLY = "weekly_metrics.parquet"
CUSTOMERS = "customers.parquet"
SUMMARY = "summary.json"
CONFIG = "config.json"
MANIFEST = "manifest.json"  # written last: every file's size and SHA-256


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """``frame.to_parquet``, with every NaN (a rate with a zero denominator) written as
    null, as ``summary.json`` writes it; pandas reads both back as NaN."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, f in enumerate(table.schema):
        if pa.types.is_floating(f.type):
            col = table.column(i)
            table = table.set_column(i, f, pc.if_else(pc.is_nan(col),
                                                      pa.scalar(None, f.type), col))
    pq.write_table(table, path)


def file_hash(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: Path) -> None:
    """Record every result file under ``folder`` with its hash (not hidden files, nor
    Hydra's log, which may grow after the run, nor provenance, written after)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(folder).parts)
        and p.name not in (MANIFEST, "provenance.json") and p.suffix != ".log")
    entries = {str(p.relative_to(folder)): {"bytes": p.stat().st_size, "sha256": file_hash(p)}
               for p in files}
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(entries, indent=1))
    tmp.rename(folder / MANIFEST)


def manifest_ok(folder: Path) -> bool:
    """True if ``folder``'s manifest exists and every file it lists has its size and hash."""
    try:
        entries = json.loads((folder / MANIFEST).read_text())
        return all((folder / name).stat().st_size == e["bytes"]
                   and file_hash(folder / name) == e["sha256"] for name, e in entries.items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def config_json(cfg: RunConfig) -> str:
    """The text of a run folder's ``config.json`` (the resume check compares it)."""
    return json.dumps(asdict(cfg), indent=2)


def weekly_frame(model: CxModel) -> pd.DataFrame:
    """One row per (week, dealer) of everything measured."""
    return model.metrics.frame([d.name for d in model.dealer_list])


def customers_frame(model: CxModel) -> pd.DataFrame:
    """One row per customer: final state (for distributions and maps)."""
    p = model.population
    names = np.array([d.name for d in model.dealer_list] + ["none"], dtype=object)
    dealer = np.where(p.selling_dealer >= 0, p.selling_dealer, len(names) - 1)
    return pd.DataFrame({
        "customer": np.arange(model.n),
        "segment": np.array(SEGMENTS, dtype=object)[p.segment],
        "stage": np.array(STAGES, dtype=object)[p.stage],
        "dealer": names[dealer],
        "x_km": p.x, "y_km": p.y,
        "satisfaction": p.satisfaction,
        "effort": p.effort,
        "digital_affinity": p.affinity,
    })


def summary_dict(model: CxModel, weekly: pd.DataFrame) -> dict:
    """Per-dealer outcomes over the horizon, the funnel, and the run's identity."""
    per_dealer = summarise(weekly)
    keep = ["dealer", "units_sold", "share", "service_visits", "service_retention", "nps",
            "csat", "ces", "revenue_k", "gross_profit_k", "investment_k", "profit_k",
            "self_rating", "customer_rating", "perception_gap", "online_rating",
            "top_box_share", "mean_wait_hours", "churn_to_competitors",
            "churn_to_independents", "loyalty", "loyalty_if_serviced",
            "loyalty_if_not_serviced", "young_serviced_at_seller", "wom_positive",
            "wom_negative", "owners"]
    rows = per_dealer[keep].replace({np.nan: None}).to_dict(orient="records")
    for r in rows:
        for k, v in r.items():
            if isinstance(v, float):
                r[k] = round(v, 6)
    funnel = {k: v.tolist() for k, v in model.metrics.funnel_real().items() if k in FUNNEL}
    cfg = model.cfg
    years = cfg.weeks / WEEKS_PER_YEAR
    for r, spec in zip(rows, cfg.dealers.dealers, strict=True):
        # the user's own figure beside the model's, so a mis-sized market shows at once
        r["yearly_units"] = round(r["units_sold"] / years, 1)
        r["declared_yearly_sales"] = spec.yearly_sales or None
    return {
        "seed": cfg.seed,
        "customers": cfg.sample.customers,  # simulated (sample.customers)
        "households": cfg.market.households,  # real; counts and money are in these units
        "weight": cfg.weight,
        "weeks": cfg.weeks,
        "industry": cfg.market.industry,
        "investment": cfg.investment.name,
        "focal_dealer": cfg.dealers.dealers[cfg.dealers.focal].name,
        "entered_market": int(round(weekly.groupby("week")["entered"].first().sum())),
        "dealers": rows,
        "funnel": {"dealer": [d.name for d in model.dealer_list], **funnel},
    }


def write_run(model: CxModel, output_dir: str | os.PathLike, *, plots: bool = True,
              started: str | None = None) -> Path:
    """Write the run's files into ``output_dir`` atomically, then ``provenance.json``
    and, last, the manifest; return the folder."""
    from cxsim import provenance

    out = Path(output_dir)
    (out / MANIFEST).unlink(missing_ok=True)  # a rerun: incomplete until written anew
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        weekly = weekly_frame(model)
        write_parquet(weekly, stage / WEEKLY)
        write_parquet(customers_frame(model), stage / CUSTOMERS)
        (stage / SUMMARY).write_text(json.dumps(summary_dict(model, weekly), indent=2))
        (stage / CONFIG).write_text(config_json(model.cfg))
        if plots:
            from cxsim.plots import plot_run

            plot_run(stage, stage / "plots")
        for item in stage.iterdir():
            target = out / item.name
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            item.rename(target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    provenance.write(out, started)  # not in the manifest: it differs from run to run
    write_manifest(out)  # last: a folder with a manifest is complete
    return out
