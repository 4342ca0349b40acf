"""Regression adjustment of the last generation: a sharper, still honest posterior.

ABC accepts parameter sets whose runs land within a tolerance of the history, and
with a few hundred runs that tolerance stays wide: the accepted sets spread over
everything that comes roughly close, and their median drifts with it. The
adjustment corrects each accepted set for how far its own run landed from the
history (Beaumont, Zhang & Balding 2002, Genetics 162:2025, local-linear
regression adjustment), on summaries that say most about the parameters
(Fearnhead & Prangle 2012, J. R. Stat. Soc. B 74:419, semi-automatic ABC):

1. Features: each store-metric's yearly means, standardised as the distance does,
   (simulated - observed) / scale.
2. Projection (semi-automatic summaries): a ridge regression of every parameter
   on the features over all runs of the earlier generations (accepted or not,
   :func:`cxsim.calibrate.sampler.read_runs`), its penalty chosen by generalised
   cross-validation (Golub, Heath & Wahba 1979, Technometrics 21:215). Its
   prediction ``s(x)`` is one summary per parameter. The last generation is left
   out, so step 3 works on runs the projection has not seen.
3. Adjustment: for the last generation's particles, a weighted least-squares fit of
   each parameter on its own summary, ``s_j(x_i) - s_j(x_obs)`` (weights: pyabc's
   importance weight times the Epanechnikov kernel of the distance over the
   tolerance, as Beaumont et al.), then ``theta_ij - b_j (s_j(x_i) - s_j(x_obs))``;
   the residuals are widened to the prediction variance at ``s_j(x_obs)`` (residual
   variance for ``n - 2`` degrees of freedom, n the effective sample, plus the
   fitted value's own variance), so the intervals stay honest. Beaumont et al.
   regress on every summary; with a few dozen effective particles that many
   coefficients are mostly noise, and ``s_j`` is built to carry parameter j.

Every parameter is adjusted on its prior's logit scale, so adjusted values stay
within the prior (as the ``abc`` R package's ``transf = "logit"``; Csilléry,
François & Blum 2012, Methods Ecol. Evol. 3:475). Nothing here draws random
numbers: the adjusted posterior follows from the stored runs alone, the same for
any number of workers and after a resume.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxsim.calibrate.priors import Prior
from cxsim.calibrate.sampler import RUNS, read_runs
from cxsim.calibrate.summaries import YEAR
from cxsim.posterior import Posterior

MIN_PARTICLES = 6
"""Fewest particles inside the tolerance (and effective particles + 2) to regress on:
two coefficients per parameter leave at least two degrees of freedom."""
EDGE = 1e-6
"""How close to a prior's bound a value is taken on the logit scale."""


def features(sims: Sequence[dict[str, np.ndarray]], x0: dict[str, np.ndarray],
             scale: dict[str, np.ndarray]) -> np.ndarray:
    """Runs' yearly means standardised like the distance (runs x features); a year the
    history lacks is left out, a simulated year missing counts as the observed one.

    >>> features([{"a|y": np.array([3.0, 1.0])}], {"a|y": np.array([1.0, np.nan])},
    ...          {"a|y": np.array([2.0, 2.0])}).tolist()
    [[1.0]]
    """
    cols = []
    for k in x0:
        if not k.endswith(YEAR):
            continue
        ok = np.isfinite(x0[k]) & (scale[k] > 0)
        sim = np.array([np.asarray(s[k], float)[ok] for s in sims]).reshape(
            len(sims), int(ok.sum()))
        cols.append(np.nan_to_num((sim - x0[k][ok]) / scale[k][ok]))
    return np.hstack(cols) if cols else np.zeros((len(sims), 0))


def to_logit(theta: np.ndarray, priors: Sequence[Prior]) -> np.ndarray:
    """Parameters (runs x priors) on their priors' logit scale."""
    lo = np.array([p.low for p in priors])
    width = np.array([p.width for p in priors])
    u = np.clip((theta - lo) / width, EDGE, 1 - EDGE)
    return np.log(u / (1 - u))


def from_logit(z: np.ndarray, priors: Sequence[Prior]) -> np.ndarray:
    """The inverse of :func:`to_logit`."""
    lo = np.array([p.low for p in priors])
    width = np.array([p.width for p in priors])
    return lo + width / (1 + np.exp(-z))


@dataclass
class Projection:
    """A ridge regression of parameters (logit scale) on features: ``s(x)``."""

    mean: np.ndarray
    sd: np.ndarray
    coef: np.ndarray  # features x parameters
    intercept: np.ndarray

    def __call__(self, phi: np.ndarray) -> np.ndarray:
        return ((phi - self.mean) / self.sd) @ self.coef + self.intercept


def projection(phi: np.ndarray, z: np.ndarray) -> Projection:
    """Ridge of each column of ``z`` on ``phi`` (standardised), each with the penalty of
    least generalised cross-validation error over a grid."""
    mean = phi.mean(axis=0)
    sd = phi.std(axis=0)
    sd = np.where(sd > 0, sd, np.inf)  # a constant feature drops out
    x = (phi - mean) / sd
    zc = z.mean(axis=0)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    uty = u.T @ (z - zc)
    n = len(x)
    coef = np.zeros((x.shape[1], z.shape[1]))
    for j in range(z.shape[1]):
        best = None
        for lam in n * np.logspace(-4, 2, 25):
            f = s**2 / (s**2 + lam)
            fitted = u @ (f * uty[:, j])
            rss = float(np.sum((z[:, j] - zc[j] - fitted) ** 2))
            gcv = n * rss / max(n - float(f.sum()), 1e-9) ** 2
            if best is None or gcv < best[0]:
                best = (gcv, vt.T @ (s / (s**2 + lam) * uty[:, j]))
        coef[:, j] = best[1]
    return Projection(mean, sd, coef, zc)


def kernel(distance: np.ndarray, tolerance: float) -> np.ndarray:
    """Epanechnikov weights of accepted distances under the tolerance."""
    if not (np.isfinite(tolerance) and tolerance > 0):
        return np.ones_like(distance)
    return np.clip(1 - (distance / tolerance) ** 2, 0, None)


def local_linear(z: np.ndarray, s: np.ndarray, s0: np.ndarray, w: np.ndarray,
                 own: bool = True) -> np.ndarray:
    """Beaumont's adjustment of ``z`` (particles x parameters) on summaries ``s`` at the
    observed ``s0`` with weights ``w`` (summing to 1): the fitted value at ``s0`` plus
    the residuals, widened so their variance is the prediction variance there (the
    residual variance for ``n_eff - k - 1`` degrees of freedom plus the fitted value's
    own variance). ``own``: parameter j on its own summary j alone (two coefficients
    per parameter, not ``k + 1``: with a few dozen effective particles the full
    regression's coefficients are mostly noise); else on every summary."""
    n_eff = 1.0 / np.sum(w**2)
    out = np.empty_like(z)
    for j in range(z.shape[1]):
        d = (s - s0)[:, [j]] if own else s - s0
        design = np.hstack([np.ones((len(d), 1)), d])
        k = d.shape[1]
        if n_eff <= k + 2:
            return np.full_like(z, np.nan)
        root = np.sqrt(w)[:, None]
        beta, *_ = np.linalg.lstsq(design * root, z[:, j] * root[:, 0], rcond=None)
        resid = z[:, j] - design @ beta
        sigma2 = float(np.sum(w * resid**2)) * n_eff / (n_eff - k - 1)
        # variance of the fitted value at s0 (the intercept), importance weights
        # taken as they are (the sandwich form of weighted least squares)
        bread = np.linalg.pinv(design.T @ (design * w[:, None]))
        meat = design.T @ (design * (w**2 * resid**2)[:, None])
        var0 = float((bread @ meat @ bread)[0, 0])
        spread = float(np.sum(w * resid**2))
        widen = np.sqrt((sigma2 + var0) / spread) if spread > 0 else 1.0
        out[:, j] = beta[0] + widen * resid
    return out


@dataclass
class Adjusted:
    """The adjusted posterior, or why there is none (then the ABC posterior stands)."""

    posterior: Posterior
    done: bool
    note: str


def adjust(*, particles: pd.DataFrame, weights: np.ndarray, sum_stats: list[dict],
           distances: np.ndarray, tolerance: float, x0: dict[str, np.ndarray],
           scale: dict[str, np.ndarray], priors: Sequence[Prior],
           training: list[tuple[np.ndarray, list[dict[str, np.ndarray]]]]) -> Adjusted:
    """The last generation's ``particles`` (columns in the priors' order) adjusted by
    regression; ``training`` is the earlier generations' runs (parameters, summaries)."""
    names = [p.name for p in priors]
    raw = Posterior(particles[names].reset_index(drop=True), weights / weights.sum())
    theta_t = np.vstack([t for t, _ in training]) if training else np.zeros((0, len(priors)))
    sims_t = [x for _, xs in training for x in xs]
    phi_t = features(sims_t, x0, scale)
    k = len(priors)
    if len(theta_t) < 2 * (k + 2) or phi_t.shape[1] == 0:
        return Adjusted(raw, False, f"too few earlier runs ({len(theta_t)}) to learn from")
    proj = projection(phi_t, to_logit(theta_t, priors))
    s = proj(features(sum_stats, x0, scale))
    s0 = proj(features([x0], x0, scale))[0]
    w = raw.weights * kernel(np.asarray(distances, float), tolerance)
    if np.sum(w > 0) < MIN_PARTICLES or w.sum() ** 2 / np.sum(w**2) <= MIN_PARTICLES - 2:
        return Adjusted(raw, False, "too few particles inside the tolerance to regress")
    w = w / w.sum()
    z = local_linear(to_logit(raw.draws.to_numpy(float), priors), s, s0, w)
    draws = pd.DataFrame(from_logit(z, priors), columns=names)
    keep = w > 0
    return Adjusted(Posterior(draws[keep].reset_index(drop=True), w[keep] / w[keep].sum()),
                    True, f"regression-adjusted ({int(keep.sum())} particles, "
                    f"{len(theta_t)} earlier runs)")


def training_runs(folder: Path, before: int, priors: Sequence[Prior]
                  ) -> list[tuple[np.ndarray, list[dict[str, np.ndarray]]]]:
    """The recorded runs of generations -1 (the prior runs) to ``before - 1``."""
    names = [p.name for p in priors]
    out = []
    for t in range(-1, before):
        path = Path(folder) / f"{RUNS}{t}.npz"
        if not path.is_file():
            continue
        got, theta, sums = read_runs(path)
        order = [got.index(n) for n in names]
        n = len(theta)
        out.append((theta[:, order].reshape(n, len(names)),
                    [{k: v[i] for k, v in sums.items()} for i in range(n)]))
    return out
