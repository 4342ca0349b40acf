"""P4: word of mouth alone spreads a new dealer's reputation in an S-shaped (Bass) curve.

A new dealer opens in an established market, known to nobody. Customers
learn of it from its marketing (rate p a year: ``word_of_mouth.advertising_per_year``)
and from other customers. The share of customers aware of it is recorded
every week and compared with Bass's curve for p = 0.03, q = 0.38 a year
(Sultan, Farley & Lehmann 1990); a Bass curve is also fitted to each run.

Arms:

* ``mean_field`` - talk not tied to episodes (``chatter_per_year`` = q) with
  listeners drawn from the whole market, and no talk after episodes
  (``talk_rate`` = 0): the degenerate configuration that must reproduce
  Bass's closed form.
* ``network`` - the same talk between neighbours of the small-world network:
  still S-shaped, slower, because neighbours soon know what you know.
* ``episodes_only`` - the full model's own word of mouth only: customers talk
  after purchases and service visits, so the newcomer is talked about only by
  its own customers; shows what reputation spread the model produces unaided.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.optimize import curve_fit

from cxsim.config import DealerSpec, RunConfig
from cxsim.model import CxModel
from cxsim.run import map_tasks, replication_seed, seeded, t_interval
from experiments.common import Report, compose_arm, params


def bass(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """Bass's cumulative adoption F(t) = (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t)."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)


def fit_bass(t: np.ndarray, f: np.ndarray) -> tuple[float, float]:
    """Least-squares Bass p, q (per year) of an adoption curve."""
    try:
        (p, q), _ = curve_fit(bass, t, f, p0=(0.03, 0.3), bounds=([1e-5, 0.0], [1.0, 5.0]),
                              maxfev=20_000)
    except RuntimeError:  # pragma: no cover - no convergence
        return float("nan"), float("nan")
    return float(p), float(q)


def with_newcomer(cfg: RunConfig, location: list[float]) -> RunConfig:
    """``cfg`` plus one dealer nobody knows yet (the last dealer)."""
    new = replace(DealerSpec(), name="Newcomer", x_km=float(location[0]),
                  y_km=float(location[1]), initial_awareness=0.0)
    out = replace(cfg)
    out.dealers = replace(cfg.dealers, dealers=[*cfg.dealers.dealers, new])
    return out


def awareness_path(cfg: RunConfig) -> dict[str, np.ndarray]:
    """Share of customers aware of the last dealer, and its units sold, every week."""
    model = CxModel(cfg)
    j = model.n_dealers - 1
    total = model.warmup + model.weeks
    aware = np.empty(total)
    for w in range(total):
        model.step()
        aware[w] = model.population.aware[:, j].mean()
    units = model.metrics.rows["units_sold"][:, j].copy()
    return {"aware": aware, "units": units}


def run(exp: Any, report: Report) -> None:
    p = params(exp)
    p_ref, q_ref = float(p["bass_p"]), float(p["bass_q"])
    names = list(exp.arms)
    configs = {a: with_newcomer(compose_arm(exp, exp.arms[a]), p["location"]) for a in names}
    seeds = [replication_seed(exp.base_seed, r) for r in range(exp.replications)]
    tasks = [seeded(configs[a], s) for s in seeds for a in names]
    paths = map_tasks(awareness_path, tasks, jobs=exp.jobs, progress=exp.progress)
    weeks = len(paths[0]["aware"])
    t = (np.arange(weeks) + 1) / 52.0
    rows, fits = [], []
    k = 0
    for r in range(exp.replications):
        for a in names:
            f = paths[k]["aware"]
            k += 1
            rows.append(pd.DataFrame({"arm": a, "replication": r, "week": np.arange(weeks),
                                      "years": t, "aware": f}))
            fp, fq = fit_bass(t, f)
            rate = np.diff(np.concatenate([[0.0], f]))
            peak_year = float(t[np.argmax(pd.Series(rate).rolling(13, center=True,
                                                                 min_periods=1).mean())])
            fits.append({"arm": a, "replication": r, "p": fp, "q": fq,
                         "aware_at_end": float(f[-1]), "peak_year": peak_year,
                         "rmse_vs_reference": float(np.sqrt(np.mean(
                             (f - bass(t, p_ref, q_ref)) ** 2)))})
    curves = pd.concat(rows, ignore_index=True)
    fit = pd.DataFrame(fits)
    report.data("curves", curves)
    report.data("fits", fit)
    ref_peak = np.log(q_ref / p_ref) / (p_ref + q_ref)
    summary = []
    for a in names:
        g = fit[fit["arm"] == a]
        row = {"arm": a}
        for col in ("p", "q", "peak_year", "aware_at_end", "rmse_vs_reference"):
            m, lo, hi = t_interval(g[col].to_numpy())
            row[col] = m
            row[f"{col} CI"] = f"[{lo:.3g}, {hi:.3g}]"
        summary.append(row)
    summary.append({"arm": "Bass reference", "p": p_ref, "q": q_ref, "peak_year": ref_peak,
                    "aware_at_end": float(bass(t[-1:], p_ref, q_ref)[0])})
    table = pd.DataFrame(summary)
    report.table("bass_fit", table, f"Bass curve fitted to each run (p, q per year; peak = "
                 "year of the fastest spread), mean and 95 % CI over "
                 f"{exp.replications} replications", console=True)
    s = table.set_index("arm")
    for a in names:
        report.headline(
            f"{a}: fitted p = {s.loc[a, 'p']:.3f} {s.loc[a, 'p CI']}, q = "
            f"{s.loc[a, 'q']:.3f} {s.loc[a, 'q CI']} per year; fastest spread in year "
            f"{s.loc[a, 'peak_year']:.1f} (Bass {p_ref:g}/{q_ref:g}: year {ref_peak:.1f}); "
            f"{s.loc[a, 'aware_at_end']:.0%} aware after {t[-1]:.0f} years.",
            **{f"{a}_p": s.loc[a, "p"], f"{a}_q": s.loc[a, "q"]})
    report.text(
        "**Reading it.** An S-curve shows as a bell-shaped rate of spread with its peak "
        "inside the horizon. The mean-field arm is Bass's own assumption (anyone may talk "
        "to anyone), so its fitted p and q should recover the inputs. On the network "
        "the same talk reaches people who mostly already know, so q falls: clustering "
        "slows diffusion, a known result for small worlds. Without chatter, talk follows "
        "episodes at the newcomer itself: it starts from its first customers, who come "
        "from advertising (p), so the curve is the product of the dealer's sales growth "
        "and its customers' talk.")
    _figure(curves, names, p_ref, q_ref, report)


def _figure(curves: pd.DataFrame, names: list[str], p_ref: float, q_ref: float,
            report: Report) -> None:
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.2))
    for i, a in enumerate(names):
        g = curves[curves["arm"] == a].groupby("week")
        m, lo, hi = g["aware"].mean(), g["aware"].quantile(0.025), g["aware"].quantile(0.975)
        years = g["years"].first()
        a1.plot(years, 100 * m, color=f"C{i}", label=a)
        a1.fill_between(years, 100 * lo, 100 * hi, color=f"C{i}", alpha=0.2)
        rate = m.diff().fillna(m.iloc[0]).rolling(13, center=True, min_periods=1).mean()
        a2.plot(years, 100 * 52 * rate, color=f"C{i}", label=a)
    years = np.sort(curves["years"].unique())
    a1.plot(years, 100 * bass(years, p_ref, q_ref), "k--", label=f"Bass p={p_ref:g}, "
            f"q={q_ref:g}")
    ref = bass(years, p_ref, q_ref)
    a2.plot(years, 100 * 52 * np.diff(np.concatenate([[0.0], ref])), "k--", label="Bass")
    a1.set_xlabel("years since the new dealer opened")
    a1.set_ylabel("customers aware of it, %")
    a1.set_title("Reputation diffusion (mean, 95 % range)")
    a1.legend(fontsize=8)
    a2.set_xlabel("years")
    a2.set_ylabel("newly aware, % of customers per year")
    a2.set_title("Rate of spread (13-week mean)")
    a2.legend(fontsize=8)
    report.figure("reputation_diffusion", fig, "Left: share of customers who know the new "
                  "dealer. Right: how fast it spreads; a bell here is an S above.")
