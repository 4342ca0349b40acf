"""The dashboard's model: one market run twice, without and with the programme.

:class:`PairedMarket` is a Mesa model holding two :class:`~cxsim.model.CxModel`
arms built from the same configuration and seed. cxsim's random numbers are
keyed by (seed, purpose, week, customer), so the arms meet the same customers,
network and luck (common random numbers) and differ only by the focal dealer's
programme: whatever gap opens between them is the programme's doing, and the
dashboard shows it growing week by week.

The programme is applied here, not by the arms' own event schedule, so that a
trainer can move its levers while the market runs: spend per touchpoint and on
staff engagement take effect at the focal dealer of the "with" arm from the next
week (quality then follows with the model's lag); digital friction changes both
arms alike. Every lever makes a changed copy of the preset's
:class:`~cxsim.programme.Programme` (validated, priced by its one cost).
Market size, industry, preset and seed define the market and take effect when
it is rebuilt (Reset).

Everything here is plain Python and NumPy, so tests and the benchmark use it
without a browser or a server.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from pathlib import Path

import mesa
import numpy as np

from cxsim.compose import CONF_DIR
from cxsim.config import TOUCHPOINTS, InvestmentConfig, RunConfig
from cxsim.metrics import UNWEIGHTED
from cxsim.model import CxModel
from cxsim.programme import Programme
from cxsim.run import compose

WINDOW = 13
"""Weeks in the rolling window of the weekly charts (a quarter)."""

DEFAULT_PRESET = "cx_program"
DEFAULT_INDUSTRY = "car"
DEFAULT_CUSTOMERS = 2_000


def _stems(group: str) -> list[str]:
    folder = Path(CONF_DIR) / group
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def presets() -> dict[str, list[str]]:
    """Scenario presets by name, each with the Hydra overrides that select it.

    Scenario presets (``conf/scenario/``) come first, then the investment
    programmes (``conf/investment/``, except ``none``) not already named by one.
    """
    out: dict[str, list[str]] = {}
    for name in _stems("scenario"):
        out[name] = [f"scenario={name}"]
    for name in _stems("investment"):
        if name != "none" and name not in out:
            out[name] = [f"investment={name}"]
    return out


def industries() -> list[str]:
    """Industry presets (``conf/industry/``)."""
    return _stems("industry") or ["car"]


@dataclass
class Levers:
    """What the trainer moves while the market runs."""

    programme: Programme  # the focal dealer's programme (sliders: touchpoints, engagement)
    friction: float  # digital friction at week 0 (both arms); falls a few % a year

    @classmethod
    def from_config(cls, cfg: RunConfig) -> Levers:
        return cls(programme=Programme.from_config(cfg),
                   friction=float(cfg.market.friction_start))

    @property
    def spend(self) -> dict[str, float]:
        """k$/year per touchpoint at the focal dealer."""
        return {t: self.programme.spend[t] for t in TOUCHPOINTS}

    @property
    def engagement_spend(self) -> float:
        """k$/year on staff engagement (common purpose)."""
        return self.programme.spend["engagement"]

    @property
    def total(self) -> float:
        """k$ a year the programme costs, every line and extra bays together."""
        return self.programme.cost_k


@dataclass
class Session:
    """One browser session's memory across rebuilds of the market.

    Reset builds a new :class:`PairedMarket`; the levers a trainer set survive
    it unless the preset changed (then the preset's own values are loaded).
    """

    preset: str | None = None
    industry: str | None = None
    levers: Levers | None = None


def build_config(preset: str = DEFAULT_PRESET, industry: str = DEFAULT_INDUSTRY,
                 customers: int = DEFAULT_CUSTOMERS, seed: int = 0,
                 extra: list[str] | None = None) -> RunConfig:
    """The validated config of a preset in an industry, for ``customers`` customers."""
    table = presets()
    if preset not in table:
        raise ValueError(f"unknown preset {preset!r}; allowed: {', '.join(table)}")
    if industry not in industries():
        raise ValueError(f"unknown industry {industry!r}; allowed: {', '.join(industries())}")
    overrides = [*table[preset], f"industry={industry}", f"sample.customers={int(customers)}",
                 f"seed={int(seed)}", "progress=false", "plots=false", *(extra or [])]
    return compose(overrides)


class PairedMarket(mesa.Model):
    """The same market without and with the focal dealer's programme (CRN-paired).

    One step is one week of both arms. The arms' warm-up runs when the market is
    built, so week 0 is the first recorded week and charts start at once.
    """

    def __init__(self, preset: str = DEFAULT_PRESET, industry: str = DEFAULT_INDUSTRY,
                 customers: int = DEFAULT_CUSTOMERS, seed: int = 0,
                 session: Session | None = None, extra: list[str] | None = None) -> None:
        super().__init__(rng=int(seed))
        self.preset = preset
        self.industry = industry
        self.session = session if session is not None else Session()
        cfg = build_config(preset, industry, customers, seed, extra)
        s = self.session
        if s.levers is None or s.preset != preset:
            s.levers = Levers.from_config(cfg)
        s.preset, s.industry = preset, industry
        self.levers = s.levers
        self.investment: InvestmentConfig = cfg.investment  # when it starts, who copies
        base = replace(cfg, investment=InvestmentConfig())  # arms schedule nothing
        base.market.friction_start = self.levers.friction
        self.cfg = base
        self.focal = base.dealers.focal
        self.without = CxModel(copy.deepcopy(base), feed=True)
        self.with_ = CxModel(copy.deepcopy(base), feed=True)
        self.arms = (self.without, self.with_)
        self.dealer_names = [d.name for d in self.with_.dealer_list]
        self.horizon = base.weeks
        self._started = False
        self._copied = False
        for _ in range(base.market.warmup_weeks):
            self._step_arms()
        self.running = self.week < self.horizon

    # -- the programme -----------------------------------------------------------------
    @property
    def week(self) -> int:
        """The current recorded week (0 = first week after warm-up)."""
        return self.with_.week

    @property
    def programme(self) -> Programme:
        """The programme at the current levers."""
        return self.levers.programme

    def _invest(self, dealer: int) -> None:
        self.levers.programme.apply_to(self.with_.dealer_list[dealer])

    def _programme_due(self) -> None:
        """Start (and let a rival copy) the programme, before the week that starts it.

        Same timing as :meth:`cxsim.processes.programme.ProgrammeSchedule.schedule`:
        a programme starting at recorded week ``s`` is in place before week ``s`` is
        simulated.
        """
        p, week = self.investment, self.with_.week
        if not self._started and week >= p.start_week:
            self._started = True
            if self.programme.funds_anything:
                self._invest(self.focal)
        if (self._started and not self._copied and p.copied_by >= 0
                and week >= p.start_week + p.copy_after_weeks):
            self._copied = True
            self._invest(p.copied_by)

    def set_spend(self, touchpoint: str, k_per_year: float) -> None:
        """Change one touchpoint's yearly spend at the focal dealer (from next week)."""
        if touchpoint not in TOUCHPOINTS:
            raise KeyError(f"unknown touchpoint {touchpoint!r}; allowed: {', '.join(TOUCHPOINTS)}")
        self._set_line(touchpoint, k_per_year)

    def set_engagement(self, k_per_year: float) -> None:
        """Change the yearly spend on staff engagement at the focal dealer."""
        self._set_line("engagement", k_per_year)

    def _set_line(self, line: str, k_per_year: float) -> None:
        self.levers.programme = self.programme.replace(**{line: max(float(k_per_year), 0.0)})
        if self._started:
            self._invest(self.focal)

    def set_friction(self, friction: float) -> None:
        """Change digital friction at week 0 in both arms (its path follows from it)."""
        self.levers.friction = float(friction)
        for arm in self.arms:
            arm.cfg.market.friction_start = self.levers.friction
        self.cfg.market.friction_start = self.levers.friction

    def planned_cost(self) -> float:
        """k$ a year the programme costs the focal dealer at the current levers."""
        return self.programme.cost_k

    def programme_started(self) -> bool:
        return self._started

    # -- time --------------------------------------------------------------------------
    def _step_arms(self) -> None:
        self._programme_due()
        for arm in self.arms:
            arm.step()

    def step(self) -> None:
        """One week of both arms; stops at the end of the configured horizon."""
        if self.week >= self.horizon:
            self.running = False
            return
        self._step_arms()
        self.running = self.week < self.horizon

    # -- what the views read -----------------------------------------------------------
    def focal_name(self) -> str:
        return self.dealer_names[self.focal]

    def engagement(self) -> tuple[float, float]:
        """The focal dealer's staff engagement without and with the programme (0-1)."""
        return (float(self.without.dealer_list[self.focal].engagement),
                float(self.with_.dealer_list[self.focal].engagement))

    def friction_now(self) -> float:
        return float(self.with_.friction)


# -- weekly series --------------------------------------------------------------------
def _rows(arm: CxModel, key: str, weeks: int) -> np.ndarray:
    """A weekly counter in real units (each simulated customer stands for w households)."""
    a = np.asarray(arm.metrics.rows[key][:weeks], dtype=float)
    return a if key in UNWEIGHTED else a * arm.metrics.weight


def rolling(a: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Trailing sums over ``window`` weeks (fewer at the start), along axis 0."""
    c = np.cumsum(a, axis=0)
    out = c.copy()
    if a.shape[0] > window:
        out[window:] = c[window:] - c[:-window]
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@dataclass
class ArmSeries:
    """One arm's weekly series, weeks 0..week-1, one column per dealer."""

    units: np.ndarray
    cum_units: np.ndarray
    share: np.ndarray  # share of sales over the trailing window
    cum_share: np.ndarray  # share of sales since week 0
    nps: np.ndarray
    csat: np.ndarray
    ces: np.ndarray
    cum_profit: np.ndarray  # k$ since week 0, after the programme's cost
    totals: dict[str, np.ndarray]  # per dealer since week 0: units, nps, csat, ces, profit


def arm_series(arm: CxModel, weeks: int, window: int = WINDOW) -> ArmSeries:
    """Weekly series of one arm from its metrics (recorded weeks only)."""
    units = _rows(arm, "units_sold", weeks)
    roll_units = rolling(units, window)
    cum_units = np.cumsum(units, axis=0)
    resp = _rows(arm, "responses", weeks)
    prom, det = _rows(arm, "promoters", weeks), _rows(arm, "detractors", weeks)
    csat_sum, ces_sum = _rows(arm, "csat_sum", weeks), _rows(arm, "ces_sum", weeks)
    r_resp = rolling(resp, window)
    profit = _rows(arm, "gross_profit_k", weeks) - _rows(arm, "investment_k", weeks)
    cum_profit = np.cumsum(profit, axis=0)
    t_resp = resp.sum(axis=0)
    totals = {
        "units": units.sum(axis=0),
        "nps": 100.0 * _ratio((prom - det).sum(axis=0), t_resp),
        "csat": _ratio(csat_sum.sum(axis=0), t_resp),
        "ces": _ratio(ces_sum.sum(axis=0), t_resp),
        "profit": profit.sum(axis=0),
        "share": _ratio(units.sum(axis=0), np.full(units.shape[1], units.sum())),
    }
    return ArmSeries(
        units=units, cum_units=cum_units,
        share=_ratio(roll_units, roll_units.sum(axis=1, keepdims=True)),
        cum_share=_ratio(cum_units, cum_units.sum(axis=1, keepdims=True)),
        nps=100.0 * _ratio(rolling(prom - det, window), r_resp),
        csat=_ratio(rolling(csat_sum, window), r_resp),
        ces=_ratio(rolling(ces_sum, window), r_resp),
        cum_profit=cum_profit, totals=totals)


def series(market: PairedMarket, window: int = WINDOW) -> tuple[ArmSeries, ArmSeries]:
    """(without, with) series up to the current week."""
    w = max(min(market.week, market.horizon), 0)
    return arm_series(market.without, w, window), arm_series(market.with_, w, window)


def funnel(arm: CxModel) -> dict[str, np.ndarray]:
    """Journey funnel counts per dealer since week 0 (visited, bought, ...), real units."""
    return {k: np.asarray(v) for k, v in arm.metrics.funnel_real().items()}


# -- the word-of-mouth feed in plain words --------------------------------------------
def describe(event: dict, neutral: float = 5.0) -> str:
    """One word-of-mouth event as a sentence a trainer can read out."""
    n = int(event.get("listeners", 0))
    score = float(event.get("score", neutral))
    if score < neutral:
        tone = "a bad experience"
    elif score >= 8.0:
        tone = "a great experience"
    else:
        tone = "a good experience"
    who = "1 neighbour" if n == 1 else f"{n} neighbours"
    return f"{who} heard about {tone} at {event.get('dealer', '?')}"


def feed_lines(arm: CxModel, limit: int = 12) -> list[tuple[int, str, bool]]:
    """The latest events, newest first: (week, sentence, is_bad)."""
    if arm.feed is None:
        return []
    neutral = arm.cfg.word_of_mouth.talk_neutral
    items = list(arm.feed)[-limit:][::-1]
    return [(int(e.get("week", 0)), describe(e, neutral), float(e.get("score", neutral)) < neutral)
            for e in items]
