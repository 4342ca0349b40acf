"""The dashboard's model: one market run twice, without and with the programme.

:class:`PairedMarket` is a Mesa model holding two :class:`~cxsim.model.CxModel`
arms built from the same configuration and seed. cxsim's random numbers are
keyed by (seed, purpose, week, customer), so the arms meet the same customers,
network and luck (common random numbers) and differ only by the focal dealer's
programme: whatever gap opens between them is the programme's doing, and the
dashboard shows it growing week by week.

The programme is applied here, not by the arms' own event schedule, so that a
trainer can move its levers while the market runs: spend per touchpoint and on
staff engagement take effect at the programme's stores (``investment.stores``,
the focal dealer when empty, as for runs) of the "with" arm from the next week
(quality then follows with the model's lag); digital friction changes both
arms alike. Every lever makes a changed copy of the preset's
:class:`~cxsim.programme.Programme` (validated, priced by its one cost).
Market size, industry, preset and seed define the market and take effect when
it is rebuilt (Reset). A preset may be a story (:mod:`cxsim.dashboard.stories`):
then its reference arm may run another programme (``against``), a new store may
open at week 0, and its chapter markers come with it. ``watch`` customers'
journeys are recorded (:mod:`cxsim.dashboard.journal`) for the page's "inspect
anyone"; a market built without them runs exactly as before.

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
from cxsim.config.dealers import DealerSpec
from cxsim.config.investment import resolve_stores
from cxsim.dashboard.journal import Journal, attach
from cxsim.dashboard.stories import Marker, Story, markers, stories
from cxsim.model import CxModel
from cxsim.programme import Programme
from cxsim.run import compose

DEFAULT_PRESET = "pays_back"
DEFAULT_INDUSTRY = "car"
DEFAULT_CUSTOMERS = 2_000


def _stems(group: str) -> list[str]:
    folder = Path(CONF_DIR) / group
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def presets() -> dict[str, list[str]]:
    """Presets by name, each with the Hydra overrides that select it.

    The stories (:mod:`cxsim.dashboard.stories`) come first, then the scenario
    presets (``conf/scenario/``), then the investment programmes
    (``conf/investment/``, except ``none``) not already named by one.
    """
    out: dict[str, list[str]] = {n: list(s.overrides) for n, s in stories().items()}
    for name in _stems("scenario"):
        out.setdefault(name, [f"scenario={name}"])
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

    programme: Programme  # the focal store's programme (sliders: spend lines, extra bays)
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


def story_of(preset: str) -> Story | None:
    """The story a preset tells, if it is one."""
    return stories().get(preset)


def build_config(preset: str = DEFAULT_PRESET, industry: str | None = None,
                 customers: int = DEFAULT_CUSTOMERS, seed: int = 0,
                 extra: list[str] | None = None) -> RunConfig:
    """The validated config of a preset in an industry, for ``customers`` customers.

    ``industry`` None: the story's own (car for the other presets). A story's
    newcomer is added as the last store and becomes the focal one.
    """
    table = presets()
    if preset not in table:
        raise ValueError(f"unknown preset {preset!r}; allowed: {', '.join(table)}")
    story = story_of(preset)
    industry = industry or (story.industry if story else DEFAULT_INDUSTRY)
    if industry not in industries():
        raise ValueError(f"unknown industry {industry!r}; allowed: {', '.join(industries())}")
    overrides = [*table[preset], f"industry={industry}", f"sample.customers={int(customers)}",
                 f"seed={int(seed)}", "progress=false", "plots=false", *(extra or [])]
    cfg = compose(overrides)
    if story is not None and story.newcomer:
        new = replace(DealerSpec(), initial_awareness=0.0,
                      **{k: story.newcomer[k] for k in ("name", "x_km", "y_km")})
        cfg.dealers = replace(cfg.dealers, dealers=[*cfg.dealers.dealers, new],
                              focal=len(cfg.dealers.dealers))
    return cfg


def against_programme(story: Story | None, cfg: RunConfig) -> Programme | None:
    """The programme the reference arm runs instead of nothing (a story's ``against``)."""
    if story is None or not story.against:
        return None
    ref = compose([f"investment={story.against}", "progress=false", "plots=false"])
    return Programme.from_investment(ref.investment, cfg.dealers.bay_cost_k)


class PairedMarket(mesa.Model):
    """The same market without and with the focal dealer's programme (CRN-paired).

    One step is one week of both arms. The arms' warm-up runs when the market is
    built, so week 0 is the first recorded week and charts start at once.
    """

    def __init__(self, preset: str = DEFAULT_PRESET, industry: str | None = None,
                 customers: int = DEFAULT_CUSTOMERS, seed: int = 0,
                 session: Session | None = None, extra: list[str] | None = None,
                 watch: int = 0) -> None:
        super().__init__(rng=int(seed))
        self.preset = preset
        self.story = story_of(preset)
        cfg = build_config(preset, industry, customers, seed, extra)
        self.industry = cfg.market.industry
        self.session = session if session is not None else Session()
        s = self.session
        if s.levers is None or s.preset != preset:
            s.levers = Levers.from_config(cfg)
        s.preset, s.industry = preset, self.industry
        self.levers = s.levers
        self.investment: InvestmentConfig = cfg.investment  # when it starts, who copies
        self.against = against_programme(self.story, cfg)
        self.labels = self.story.labels if self.story else Story.labels
        base = replace(cfg, investment=InvestmentConfig())  # arms schedule nothing
        base.market.friction_start = self.levers.friction
        self.cfg = base
        self.focal = base.dealers.focal
        # where the programme runs (investment.stores; the focal store when empty), as
        # cxsim.processes.programme does for runs; the charts follow the focal store
        self.stores: list[int] = resolve_stores(cfg.investment.stores, cfg.dealers)
        self.markers: list[Marker] = markers(
            cfg, self.story.newcomer["name"] if self.story and self.story.newcomer else None)
        self.without = CxModel(copy.deepcopy(base), feed=True)
        self.with_ = CxModel(copy.deepcopy(base), feed=True)
        self.arms = (self.without, self.with_)
        # The journeys of the first ``watch`` customers (the page: those on its map).
        self.journals: tuple[Journal, Journal] | None = None
        if watch:
            ids = np.arange(min(int(watch), self.with_.n))
            self.journals = (attach(self.without, ids), attach(self.with_, ids))
        self.dealer_names = [d.name for d in self.with_.dealer_list]
        self.horizon = base.weeks
        self._started = False
        self._copied = False
        self.backlog: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        for _ in range(base.market.warmup_weeks):
            self._step_arms()
        for b in self.backlog:
            b.clear()
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

    def _invest_stores(self) -> None:
        for j in self.stores:
            self._invest(j)

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
                self._invest_stores()
            if self.against is not None:
                for j in self.stores:
                    self.against.apply_to(self.without.dealer_list[j])
        if (self._started and not self._copied and p.copied_by >= 0
                and week >= p.start_week + p.copy_after_weeks):
            self._copied = True
            self._invest(p.copied_by)

    def set_spend(self, touchpoint: str, k_per_year: float) -> None:
        """Change one touchpoint's yearly spend at each of the programme's stores (from
        next week)."""
        if touchpoint not in TOUCHPOINTS:
            raise KeyError(f"unknown touchpoint {touchpoint!r}; allowed: {', '.join(TOUCHPOINTS)}")
        self._set_line(touchpoint, k_per_year)

    def set_engagement(self, k_per_year: float) -> None:
        """Change the yearly spend on staff engagement at the programme's stores."""
        self._set_line("engagement", k_per_year)

    def _set_line(self, line: str, k_per_year: float) -> None:
        self.levers.programme = self.programme.replace(**{line: max(float(k_per_year), 0.0)})
        if self._started:
            self._invest_stores()

    def set_bays(self, extra_bays: int) -> None:
        """Add service bays at each of the programme's stores (priced as the programme's),
        from next week."""
        self.levers.programme = self.programme.replace(extra_bays=max(int(extra_bays), 0))
        if self._started:
            self._invest_stores()

    def bays(self) -> tuple[int, int]:
        """The focal store's service bays without and with the programme, now."""
        return (int(self.without.dealer_list[self.focal].bays),
                int(self.with_.dealer_list[self.focal].bays))

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
        for arm, backlog in zip(self.arms, self.backlog, strict=True):
            arm.step()
            backlog.append(arm.market.lanes.backlog.copy())  # real visits waiting

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


