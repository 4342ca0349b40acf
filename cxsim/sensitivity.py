"""Global sensitivity of the focal dealer's lift (SALib: Morris or Sobol).

Which touchpoint matters most, and how much do the answers lean on the
behavioural assumptions? The factors are the focal dealer's starting quality
at each touchpoint (0-10) and the main behavioural parameters of the journey
(choice weights, service bond, loss aversion, how far an own experience moves
an attitude, expectation drift, listening to word of mouth), each over its documented range.

The output of a sample is the focal dealer's **lift**: its KPI (profit by
default) with the sampled factors minus the same KPI in the default market,
on the same seeds (common random numbers), so the seed's luck cancels and
every difference comes from the factors. With ``--treatment`` (e.g.
``investment=cx_program``) the lift is instead that of the treatment over no
treatment at the sampled factors: what the programme's payoff depends on.

    python -m cxsim.sensitivity                          # Morris, default market
    python -m cxsim.sensitivity --method sobol --samples 64 sample.customers=5000
    python -m cxsim.sensitivity --treatment investment=cx_program --kpi units_sold

Everything lands in ``results/sensitivity/<date>_<time>/``: ``report.md``,
``indices.parquet`` (one row per factor), ``samples.parquet`` (every sample's
factors and lift) and ``sensitivity.png`` (factors ranked, touchpoints
coloured apart from behaviour).
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxsim import size
from cxsim.config import TOUCHPOINTS, RunConfig
from cxsim.programme import CONFIG_KEYS, Programme
from cxsim.results import write_parquet  # NaN (a zero denominator) as null
from cxsim.run import OUTCOMES, compose, replication_seed, run_many, seeded
from cxsim.study_cli import at_least, input_error, progress_wanted, report_folder, study_parser


@dataclass(frozen=True)
class Factor:
    """One uncertain input: a dotted config path (``{focal}`` is the focal dealer's index)."""

    name: str
    path: str
    low: float
    high: float
    group: str  # "touchpoint" or "behaviour"


BEHAVIOUR: tuple[Factor, ...] = (
    # ranges: cxsim/config/ and docs/ODD.md (MODEL.md ranges where there are any).
    # touchpoints.relationship_memory is left out: it shapes the reported satisfaction
    # but no choice, so its effect on every KPI is exactly 0.
    Factor("attitude_weight", "choice.attitude_weight", 0.15, 0.40, "behaviour"),
    Factor("distance_weight", "choice.distance_weight", 0.03, 0.06, "behaviour"),
    Factor("visit_satisfaction_slope", "choice.visit_satisfaction_slope", 0.15, 0.40,
           "behaviour"),
    Factor("service_bond", "choice.service_bond", 1.5, 2.5, "behaviour"),
    Factor("loss_aversion", "touchpoints.loss_aversion", 1.5, 2.5, "behaviour"),
    Factor("own_experience_weight", "touchpoints.own_experience_weight", 0.3, 0.7,
           "behaviour"),  # +-0.2 around the default: an assumption
    Factor("expectation_drift", "touchpoints.expectation_drift", 0.10, 0.20, "behaviour"),
    Factor("listen_weight", "word_of_mouth.listen_weight", 0.10, 0.20, "behaviour"),
)

QUALITY_RANGE = (5.5, 9.5)
"""Range of the focal dealer's starting quality at each touchpoint (default 7.5, 6.5 for
communication; 9.5 is ``dealers.quality_max``)."""


def default_factors() -> list[Factor]:
    """The focal dealer's eight touchpoint qualities and the behavioural parameters."""
    quality = [Factor(t, f"dealers.dealers.{{focal}}.quality.{t}", *QUALITY_RANGE,
                      "touchpoint") for t in TOUCHPOINTS]
    return [*quality, *BEHAVIOUR]


_PROGRAMME_LINES = {key: line for line, key in CONFIG_KEYS.items()}


def set_path(cfg: RunConfig, path: str, value: float) -> None:
    """Set a dotted path (list items by index) on a config, in place, and validate it.

    A programme line (``investment.spend.service``, ...) is changed through
    :class:`~cxsim.programme.Programme`; any other key is checked by the
    ``__post_init__`` of every config object on its path.
    """
    key = path.format(focal=cfg.dealers.focal)
    if key in _PROGRAMME_LINES:
        line = _PROGRAMME_LINES[key]
        prog = Programme.from_config(cfg)
        prog = prog.replace(extra_bays=int(value)) if line == "bays" else \
            prog.replace(**{line: float(value)})
        cfg.investment = prog.to_investment(cfg.investment)
        return
    parts = key.split(".")
    nodes: list[Any] = [cfg]
    for p in parts[:-1]:
        nodes.append(nodes[-1][int(p)] if p.isdigit() else getattr(nodes[-1], p))
    node = nodes[-1]
    if not hasattr(node, parts[-1]):
        raise ValueError(f"unknown config key {path!r}")
    setattr(node, parts[-1], type(getattr(node, parts[-1]))(value))
    for n in reversed(nodes):  # innermost first: the error names the narrowest key
        check = getattr(n, "__post_init__", None)
        if check is not None:
            check()


def apply(cfg: RunConfig, factors: Sequence[Factor], x: Sequence[float], seed: int
          ) -> RunConfig:
    """A seeded copy of ``cfg`` with the factors set to ``x``."""
    out = seeded(cfg, seed)
    for f, v in zip(factors, x, strict=True):
        set_path(out, f.path, float(v))
    return out


def problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """The SALib problem definition."""
    return {"num_vars": len(factors), "names": [f.name for f in factors],
            "bounds": [[f.low, f.high] for f in factors]}


def sample(factors: Sequence[Factor], method: str, samples: int, seed: int,
           levels: int = 4) -> np.ndarray:
    """Morris trajectories (``samples`` of them) or Saltelli/Sobol points (N = ``samples``)."""
    prob = problem(factors)
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(prob, samples, num_levels=levels, seed=seed)
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(prob, samples, calc_second_order=False, seed=seed)
    raise ValueError(f"unknown method {method!r}; allowed: morris, sobol")


def analyse(factors: Sequence[Factor], method: str, X: np.ndarray, Y: np.ndarray, seed: int,
            levels: int = 4) -> pd.DataFrame:
    """One row per factor: Morris mu*, sigma (and mu*'s interval) or Sobol S1 and ST."""
    prob = problem(factors)
    if method == "morris":
        from SALib.analyze import morris

        res = morris.analyze(prob, X, Y, num_levels=levels, seed=seed, print_to_console=False)
        table = pd.DataFrame({"mu": res["mu"], "mu_star": res["mu_star"],
                              "sigma": res["sigma"], "mu_star_conf": res["mu_star_conf"]})
        key = "mu_star"
    else:
        from SALib.analyze import sobol

        res = sobol.analyze(prob, Y, calc_second_order=False, seed=seed,
                            print_to_console=False)
        table = pd.DataFrame({"S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                              "ST_conf": res["ST_conf"]})
        key = "ST"
    table.insert(0, "factor", [f.name for f in factors])
    table.insert(1, "group", [f.group for f in factors])
    table.insert(2, "low", [f.low for f in factors])
    table.insert(3, "high", [f.high for f in factors])
    table["rank"] = table[key].rank(ascending=False, method="first").astype(int)
    return table.sort_values("rank").reset_index(drop=True)


def evaluate(base: RunConfig, factors: Sequence[Factor], X: np.ndarray, *, kpi: str,
             seeds: Sequence[int], treated: RunConfig | None = None, jobs: int = 0,
             progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Lift of every sample (mean over ``seeds``) and the per-seed reference values.

    Without ``treated``: KPI at the sample minus KPI of ``base`` unchanged.
    With ``treated``: KPI of ``treated`` minus KPI of ``base``, both at the sample.
    """
    tasks: list[RunConfig] = []
    if treated is None:
        tasks += [seeded(base, s) for s in seeds]
    for x in X:
        for s in seeds:
            tasks.append(apply(base, factors, x, s))
            if treated is not None:
                tasks.append(apply(treated, factors, x, s))
    values = run_many(tasks, jobs=jobs, progress=progress, desc="sensitivity")
    v = np.asarray([o[kpi] for o in values], dtype=float)
    k = len(seeds)
    if treated is None:
        ref, rest = v[:k], v[k:].reshape(len(X), k)
        return (rest - ref).mean(axis=1), ref
    pairs = v.reshape(len(X), k, 2)
    return (pairs[:, :, 1] - pairs[:, :, 0]).mean(axis=1), pairs[:, :, 0].mean(axis=0)


def plot_indices(table: pd.DataFrame, method: str, kpi: str, path: Path, title: str) -> None:
    """Horizontal bars, most important factor on top; touchpoints and behaviour coloured."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    colours = {"touchpoint": "C0", "behaviour": "C7"}
    t = table.sort_values("rank", ascending=False)
    y = np.arange(len(t))
    fig, axes = plt.subplots(1, 2 if method == "morris" else 1, figsize=(12, 0.35 * len(t) + 2),
                             squeeze=False)
    ax = axes[0][0]
    c = [colours.get(g, "C1") for g in t["group"]]
    if method == "morris":
        ax.barh(y, t["mu_star"], xerr=t["mu_star_conf"], color=c, capsize=3)
        ax.set(xlabel=f"mu* (mean |elementary effect| on the lift in {kpi})")
        bx = axes[0][1]
        bx.scatter(t["mu_star"], t["sigma"], c=c)
        for _, r in t.iterrows():
            bx.annotate(r["factor"], (r["mu_star"], r["sigma"]), fontsize=7,
                        xytext=(3, 2), textcoords="offset points")
        bx.set(xlabel="mu*", ylabel="sigma (non-linearity / interactions)",
               title="Morris: effect against its spread")
    else:
        h = 0.4
        ax.barh(y + h / 2, t["ST"], height=h, xerr=t["ST_conf"], color=c, capsize=3,
                label="total (ST)")
        ax.barh(y - h / 2, t["S1"], height=h, xerr=t["S1_conf"], color=c, alpha=0.45,
                capsize=3, label="first order (S1)")
        ax.set(xlabel=f"Sobol index of the lift in {kpi}")
    ax.set_yticks(y, t["factor"])
    ax.set_title(title)
    handles = [Patch(color=v, label=k) for k, v in colours.items()]
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def sensitivity(overrides: Sequence[str] = (), *, method: str = "morris", samples: int = 6,
                kpi: str = "profit_k", replications: int = 1, seed: int = 0,
                treatment: Sequence[str] = (), factors: Sequence[Factor] | None = None,
                jobs: int = 0, out: str | os.PathLike | None = None,
                progress: bool = False) -> Path:
    """Sample, run, analyse and write the report folder; return it."""
    started = time.perf_counter()
    if kpi not in OUTCOMES:
        raise ValueError(f"unknown kpi {kpi!r}; allowed: {', '.join(OUTCOMES)}")
    factors = list(factors or default_factors())
    base = compose(list(overrides))
    treated = compose([*overrides, *treatment]) if treatment else None
    out = report_folder(out, "sensitivity")
    X = sample(factors, method, samples, seed)
    seeds = [replication_seed(seed, r) for r in range(replications)]
    Y, ref = evaluate(base, factors, X, kpi=kpi, seeds=seeds, treated=treated, jobs=jobs,
                      progress=progress)
    table = analyse(factors, method, X, Y, seed)
    frame = pd.DataFrame(X, columns=[f.name for f in factors])
    frame["lift"] = Y
    write_parquet(frame, out / "samples.parquet")
    write_parquet(table, out / "indices.parquet")
    touch = table[table["group"] == "touchpoint"]
    top = touch.iloc[0]["factor"] if len(touch) else None
    what = (f"lift of `{' '.join(treatment)}`" if treatment
            else "lift over the default market")
    title = f"Which touchpoint matters most: {top}" if top else "Sensitivity of the lift"
    plot_indices(table, method, kpi, out / "sensitivity.png", title)
    key = "mu_star" if method == "morris" else "ST"
    cols = ["mu_star", "mu_star_conf", "sigma", "mu"] if method == "morris" else \
        ["ST", "ST_conf", "S1", "S1_conf"]
    md = [
        f"# Sensitivity of the focal dealer's {what} in {kpi}",
        "",
        f"{'Morris elementary effects' if method == 'morris' else 'Sobol indices'} "
        f"(SALib), {len(factors)} factors, {len(X)} samples x {len(seeds)} seed(s) "
        f"({len(X) * len(seeds) * (2 if treated is not None else 1)} runs), seed {seed}. "
        f"Market overrides: `{' '.join(overrides) or '(default market)'}`. "
        f"Reference {kpi} (per seed): {', '.join(_fmt(v) for v in ref)}. "
        f"Lift over the samples: mean {_fmt(float(Y.mean()))}, sd {_fmt(float(Y.std()))}. "
        f"Run time {(time.perf_counter() - started) / 60:.1f} min.",
        "",
        f"**Touchpoint that matters most: {top}.** Factors ranked by {key}:",
        "",
        "| rank | factor | group | range | " + " | ".join(cols) + " |",
        "|---:|---|---|---|" + "---:|" * len(cols),
    ]
    for r in table.itertuples():
        md.append(f"| {r.rank} | {r.factor} | {r.group} | {r.low:g}-{r.high:g} | "
                  + " | ".join(_fmt(getattr(r, c)) for c in cols) + " |")
    md += [
        "",
        "Morris: mu* is the mean absolute elementary effect, the change in the lift (in "
        "the KPI's unit) per step scaled to the factor's whole range, averaged over the "
        "trajectories; mu its signed mean; sigma its spread (high sigma: non-linear or "
        "interacting); mu*'s interval is bootstrap 95 %." if method == "morris" else
        "Sobol: S1 is the share of the lift's variance a factor explains alone, ST with "
        "all its interactions; intervals are bootstrap 95 %.",
        "",
        "![sensitivity](sensitivity.png)",
        "",
    ]
    (out / "report.md").write_text("\n".join(md))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cxsim.sensitivity``: which touchpoint (and assumption) drives the lift."""
    p = study_parser("cxsim-sensitivity", "Global sensitivity (SALib Morris or Sobol) of "
                     "the focal dealer's lift to its touchpoint qualities and the behavioural "
                     "parameters.", "sensitivity")
    p.add_argument("--method", default="morris", choices=("morris", "sobol"))
    p.add_argument("--samples", type=int, default=6,
                   help="Morris trajectories, or Sobol base samples N (a power of 2); "
                        "runs = samples x (factors + 1) for Morris, x (factors + 2) for Sobol")
    p.add_argument("--replications", type=int, default=1, help="paired seeds per sample")
    p.add_argument("--treatment", action="append", default=[],
                   help="override(s) whose lift is studied, e.g. investment=cx_program")
    a = p.parse_args(argv)

    def check() -> None:
        at_least("--samples", a.samples, 2)
        at_least("--replications", a.replications, 1)
        size.check(compose([*a.overrides, *a.treatment]))  # before any worker starts

    if (code := input_error("cxsim-sensitivity", check, a)) is not None:
        return code
    from cxsim.study_cli import staged_report  # staged folder, one-line interrupts

    return staged_report("cxsim-sensitivity", "sensitivity", a.out, lambda out: sensitivity(
        a.overrides, method=a.method, samples=a.samples, kpi=a.kpi,
        replications=a.replications, seed=a.seed, treatment=a.treatment,
        jobs=a.jobs, out=out, progress=progress_wanted(a)))


if __name__ == "__main__":
    sys.exit(main())
