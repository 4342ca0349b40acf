"""What every named experiment shares: its config schema, arms, outcomes and report.

An experiment is a file in ``conf/experiment/`` (``# @package _global_``)
filling :class:`ExperimentConfig`; ``analysis`` names the module of
``experiments/`` whose ``run(exp, report)`` does the work. Model settings are
Hydra overrides of ``conf/`` (``common`` from the experiment file, then
``model`` from the command line), composed once per arm; replications differ
only in their seed, and arms of one replication share it (common random
numbers). Runs, seeds, the process pool and the focal outcomes come from the
run layer, ``cxsim.run``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from omegaconf import DictConfig, OmegaConf  # noqa: E402

from cxsim.config import TOUCHPOINTS, DealerSpec, RunConfig, TouchpointValues  # noqa: E402
from cxsim.results import write_parquet  # noqa: E402 - NaN (a zero denominator) as null
from cxsim.run import compose  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CONF_DIR = REPO / "conf"
MODEL_ROOTS = ("sample", "customers", "dealers", "touchpoints", "choice", "word_of_mouth", "market",
               "investment", "scenario", "industry", "seed", "engine")
"""First parts of the keys that belong to the model (not to the experiment)."""


@dataclass
class ExperimentConfig:
    """One named experiment (schema of ``conf/experiment/*.yaml``)."""

    defaults: list[Any] = field(default_factory=lambda: [
        "_self_", {"experiment": "service_vs_experience"}])
    name: str = "experiment"
    pattern: str = ""  # which pattern of MODEL.md it reproduces (P1..P6)
    question: str = ""  # the question it answers, in one sentence
    analysis: str = ""  # module of experiments/ that runs it
    replications: int = 10  # replications per arm (each a different seed)
    base_seed: int = 0  # replication r uses SeedSequence([base_seed, r])
    jobs: int = 0  # worker processes; 0 = every available core; results do not depend on it
    progress: bool = True  # progress bar over runs
    common: list[str] = field(default_factory=list)  # model overrides of this experiment
    model: list[str] = field(default_factory=list)  # extra model overrides (command line)
    arms: dict[str, list[str]] = field(default_factory=dict)  # arm name -> overrides
    params: dict[str, Any] = field(default_factory=dict)  # settings of the analysis
    output_dir: str = "results/experiments/${name}"
    hydra: Any = field(default_factory=lambda: {
        "run": {"dir": "${output_dir}"},
        "sweep": {"dir": "results/experiments", "subdir": "${name}"},
        "job": {"chdir": False},
    })


def model_overrides(exp: DictConfig | Any) -> list[str]:
    """The experiment's model overrides, command-line ones last (they win)."""
    return [*exp.common, *exp.model]


def compose_arm(exp: Any, overrides: Sequence[str] = ()) -> RunConfig:
    """The run config of an arm: ``conf/`` + experiment overrides + the arm's own."""
    return compose([*model_overrides(exp), *overrides])


def compose_arms(exp: Any, arms: Mapping[str, Sequence[str]] | None = None
                 ) -> dict[str, RunConfig]:
    """Every arm's run config, in the order of the experiment file."""
    arms = exp.arms if arms is None else arms
    return {name: compose_arm(exp, list(ov)) for name, ov in arms.items()}


def params(exp: Any) -> dict[str, Any]:
    """The analysis settings as plain Python values."""
    p = exp.params
    return OmegaConf.to_container(p, resolve=True) if isinstance(p, DictConfig) else dict(p)


# -- run configs built in code -----------------------------------------------------------------
def with_dealers(cfg: RunConfig, dealers: list[DealerSpec], **kw: Any) -> RunConfig:
    """A copy of ``cfg`` with another list of dealers (validated again)."""
    out = replace(cfg)
    out.dealers = replace(cfg.dealers, dealers=dealers, **kw)
    out.__post_init__()
    return out


def shifted(spec: DealerSpec, points: float, **kw: Any) -> DealerSpec:
    """A dealer whose every touchpoint quality is ``points`` higher (clipped to 0..10)."""
    q = TouchpointValues(**{t: float(np.clip(getattr(spec.quality, t) + points, 0, 10))
                            for t in TOUCHPOINTS})
    return replace(spec, quality=q, **kw)


# -- formatting ---------------------------------------------------------------------------
def fmt(x: Any, digits: int = 3) -> str:
    """A number as a short string (significant digits, thousands separators)."""
    if isinstance(x, str):
        return x
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    x = float(x)
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    dec = max(0, digits - 1 - mag)
    return f"{x:,.{dec}f}"


def markdown_table(df: pd.DataFrame, digits: int = 3) -> str:
    """A pipe table (no extra dependency)."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |",
             "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c]) else "---"
                        for c in df.columns)
             + "|"]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join(fmt(v, digits) for v in row.to_numpy()) + " |")
    return "\n".join(lines)


def interval(mean: float, lo: float, hi: float, digits: int = 3) -> str:
    """``mean [lo, hi]``."""
    return f"{fmt(mean, digits)} [{fmt(lo, digits)}, {fmt(hi, digits)}]"


def pretty_lift(table: pd.DataFrame) -> pd.DataFrame:
    """A lift table for people: one row per KPI, the interval as text."""
    rows = []
    for _, r in table.iterrows():
        score = r["kpi"] in ("nps", "roi")  # points or a ratio: a % of it means nothing
        pct = "" if score or math.isnan(r["lift_pct"]) else f"{r['lift_pct']:+.1f} %"
        rows.append({"KPI": r["kpi"], "baseline": fmt(r["baseline"]),
                     "scenario": fmt(r["scenario"]), "lift": fmt(r["lift"]),
                     "lift %": pct, "95 % CI of lift": f"[{fmt(r['ci_low'])}, "
                     f"{fmt(r['ci_high'])}]", "n": int(r["replications"])})
    return pd.DataFrame(rows)


# -- the report folder ---------------------------------------------------------------------
class Report:
    """Collects Markdown, tables (also as Parquet) and figures (PNG) of one experiment."""

    def __init__(self, out: Path, exp: Any) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.exp = exp
        self.parts: list[str] = []
        self.headlines: list[str] = []
        self.console: list[str] = []
        self.figures: list[str] = []
        self.facts: dict[str, Any] = {}
        self.started = time.perf_counter()

    def text(self, md: str) -> None:
        self.parts.append(md.strip("\n"))

    def headline(self, md: str, **facts: Any) -> None:
        """A result worth a line in the catalogue; ``facts`` go to ``summary.json``."""
        self.headlines.append(md)
        self.facts.update(facts)

    def table(self, name: str, df: pd.DataFrame, caption: str = "", *, show: bool = True,
              console: bool = False, digits: int = 3) -> None:
        """Write ``<name>.parquet``; add it to the report (and the console) as a table."""
        write_parquet(df, self.out / f"{name}.parquet")
        if show:
            md = markdown_table(df, digits)
            self.parts.append((f"**{caption}**\n\n" if caption else "") + md)
            if console:
                self.console.append((caption + "\n" if caption else "") + md)

    def data(self, name: str, df: pd.DataFrame) -> None:
        """Write ``<name>.parquet`` without showing it."""
        write_parquet(df, self.out / f"{name}.parquet")

    def figure(self, name: str, fig: plt.Figure, caption: str) -> None:
        path = self.out / f"{name}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        self.figures.append(path.name)
        self.parts.append(f"![{caption}]({path.name})\n\n*{caption}*")

    def finish(self) -> Path:
        """Write ``report.md`` and ``summary.json``; return the report's path."""
        seconds = time.perf_counter() - self.started
        exp = self.exp
        overrides = model_overrides(exp)
        head = [f"# {exp.name}" + (f" ({exp.pattern})" if exp.pattern else ""), "",
                f"**Question.** {exp.question}", ""]
        if self.headlines:
            head += ["**Result.**", "", *[f"- {h}" for h in self.headlines], ""]
        head += [f"Replications: {exp.replications} (base seed {exp.base_seed}); model "
                 f"overrides: `{' '.join(overrides) or '(none)'}`; run time "
                 f"{seconds:.0f} s. Rerun: `.venv/bin/python -m experiments.run "
                 f"experiment={exp.name}`.", ""]
        text = "\n".join(head) + "\n" + "\n\n".join(self.parts) + "\n"
        path = self.out / "report.md"
        path.write_text(text)
        summary = {"name": exp.name, "pattern": exp.pattern, "question": exp.question,
                   "headlines": self.headlines, "seconds": round(seconds, 1),
                   "replications": int(exp.replications), "model_overrides": overrides,
                   "figures": self.figures, **_plain(self.facts)}
        (self.out / "summary.json").write_text(json.dumps(summary, indent=2))
        self.seconds = seconds
        return path


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return None if math.isnan(float(obj)) else round(float(obj), 6)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    return obj
