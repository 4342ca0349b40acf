"""Typed configuration: one dataclass per concern, mirrored by a ``conf/`` group.

Every field carries its unit and its source (or "assumption") in the comment
beside it; ``docs/ODD.md`` tabulates the same parameters. Field names double
as column names in result files, so they are plain identifiers.

Validation lives in ``__post_init__`` so that it runs however a config is
built: from Hydra (``OmegaConf.to_object``), from the Python API, or from a
test. A bad value raises :class:`ConfigError` naming the dotted key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

TOUCHPOINTS: tuple[str, ...] = (
    "marketing",
    "digital",
    "sales",
    "finance",
    "delivery",
    "service",
    "parts",
    "communication",
)
"""The eight touchpoints of a dealership, in journey order."""

WEEKS_PER_YEAR = 52
"""The model's clock: one step is one week, 52 to a year (a unit, not a parameter)."""

SERVICE_TOUCHPOINTS: tuple[str, ...] = ("service", "parts", "communication")
SEGMENTS: tuple[str, ...] = ("digital_first", "traditional", "value_seeker")


class ConfigError(ValueError):
    """A configuration value is outside what the model accepts."""


def _check_prob(key: str, value: float) -> None:
    if not (0.0 <= value <= 1.0) or math.isnan(value):
        raise ConfigError(f"{key}={value} is not a probability; allowed: 0 <= {key} <= 1")


def _check_nonneg(key: str, value: float) -> None:
    if value < 0 or math.isnan(value):
        raise ConfigError(f"{key}={value} is negative; allowed: {key} >= 0")


def _check_positive(key: str, value: float) -> None:
    if not value > 0:
        raise ConfigError(f"{key}={value} must be > 0")


def _check_fields(obj: object, prefix: str, probs=(), nonneg=(), positive=()) -> None:
    for name in probs:
        _check_prob(f"{prefix}.{name}", getattr(obj, name))
    for name in nonneg:
        _check_nonneg(f"{prefix}.{name}", getattr(obj, name))
    for name in positive:
        _check_positive(f"{prefix}.{name}", getattr(obj, name))


@dataclass
class TouchpointValues:
    """One number per touchpoint (quality 0-10, or spend in k$ a year)."""

    marketing: float = 0.0
    digital: float = 0.0
    sales: float = 0.0
    finance: float = 0.0
    delivery: float = 0.0
    service: float = 0.0
    parts: float = 0.0
    communication: float = 0.0

    def as_list(self) -> list[float]:
        return [float(getattr(self, t)) for t in TOUCHPOINTS]


def _quality(**kw: float) -> TouchpointValues:
    base = dict.fromkeys(TOUCHPOINTS, 7.5)
    base.update(kw)
    return TouchpointValues(**base)


@dataclass
class DealerSpec:
    """One dealership: place, starting qualities, capacity and margins."""

    name: str = "Dealer A"
    x_km: float = 0.0  # km; location in the market square; assumption
    y_km: float = 0.0  # km
    # 0-10 per touchpoint; 7.5 is the prototype's workable Q0 (MODEL.md);
    # communication lower: "most dealers fail on communicating progress" (seed 004)
    quality: TouchpointValues = field(default_factory=lambda: _quality(communication=6.5))
    consistency_sd: float = 1.2  # quality points, sd of delivered quality; assumption
    engagement: float = 0.5  # 0-1 staff engagement; assumption (mid-scale)
    bays_per_1000_customers: float = 0.75  # service bays per 1,000 market customers;
    # assumption chosen so a dealer with a third of the market runs near 0.75
    # utilisation (MODEL.md workable range 0.7-0.8)
    price_premium: float = 0.0  # fraction above market price; assumption
    gross_per_vehicle: float = 3.0  # k$ gross profit per new vehicle; assumption (NADA order)
    gross_per_service_visit: float = 0.35  # k$ per visit; set so fixed ops give about half
    # of dealer gross (NADA: 47-49 %; the default market gives ~51 %)
    initial_awareness: float = 1.0  # share of customers who know the dealer at start


def _default_dealers() -> list[DealerSpec]:
    return [
        DealerSpec(name="Dealer A", x_km=-12.0, y_km=-6.0),
        DealerSpec(name="Dealer B", x_km=12.0, y_km=-6.0),
        DealerSpec(name="Dealer C", x_km=0.0, y_km=13.0),
    ]


@dataclass
class DealersConfig:
    """The competing dealerships; the first one is the focal dealer."""

    dealers: list[DealerSpec] = field(default_factory=_default_dealers)
    focal: int = 0  # index of the dealer whose investments are studied
    quality_max: float = 9.5  # Qmax of the budget map; MODEL.md prototype range
    spend_half: float = 150.0  # k$/year on one touchpoint that closes half the gap to
    # Qmax; assumption
    quality_lag_weeks: float = 26.0  # weeks for delivered quality to move ~63 % toward
    # target (training takes months); assumption
    engagement_effect: float = 0.16  # fractional quality change per unit engagement
    # above 0.5 ("common purpose" multiplies every touchpoint); assumption
    engagement_spend_half: float = 150.0  # k$/year that closes half the gap to
    # engagement 1; assumption
    consistency_spend_half: float = 150.0  # k$/year that halves consistency_sd; assumption
    handoff_failure: float = 0.30  # probability a hand-off no department owns goes wrong
    # at engagement 0 (falls linearly to 0 at engagement 1); assumption, seed 004
    self_rating_target: float = 6.94  # departmental KPI target (0-10): management claims a
    # superior experience when its departments' mean KPI reaches it; sets the management
    # side of the perception gap (calibrated by experiments/perception_gap: 80 % of
    # dealers claim superior, Allen et al. 2005)
    vehicle_price_k: float = 48.0  # k$ revenue per new vehicle; assumption (order of the
    # US average transaction price, 2024)
    service_ticket_k: float = 0.6  # k$ revenue per service visit; assumption
    lane_smoothing: float = 0.3  # weight of the latest week in the lane's arrival-rate
    # estimate (EWMA); assumption
    service_hours: float = 3.0  # mean hours a bay spends on one visit; assumption
    open_hours_per_week: float = 50.0  # service lane opening hours; assumption
    bay_cost_k: float = 60.0  # k$/year for one extra service bay (equipment, space,
    # technician); assumption

    def __post_init__(self) -> None:
        if not self.dealers:
            raise ConfigError("dealers.dealers is empty; allowed: at least one dealer")
        if not 0 <= self.focal < len(self.dealers):
            raise ConfigError(
                f"dealers.focal={self.focal} is not a dealer index; "
                f"allowed: 0..{len(self.dealers) - 1}"
            )
        for i, d in enumerate(self.dealers):
            p = f"dealers.dealers[{i}]"
            for t in TOUCHPOINTS:
                q = getattr(d.quality, t)
                if not 0 <= q <= 10:
                    raise ConfigError(f"{p}.quality.{t}={q} is off the scale; allowed: 0..10")
            _check_fields(d, p, probs=("engagement", "initial_awareness"),
                          nonneg=("consistency_sd", "gross_per_vehicle",
                                  "gross_per_service_visit"),
                          positive=("bays_per_1000_customers",))
        _check_fields(self, "dealers", probs=("handoff_failure",),
                      nonneg=("engagement_effect", "quality_lag_weeks", "bay_cost_k"),
                      positive=("spend_half", "engagement_spend_half",
                                "consistency_spend_half", "service_hours",
                                "open_hours_per_week"))
        if not 0 < self.quality_max <= 10:
            raise ConfigError(f"dealers.quality_max={self.quality_max}; allowed: 0 < x <= 10")


@dataclass
class SegmentSpec:
    """A customer class (Ciw's word): share, digital affinity, price weight."""

    share: float = 0.33
    digital_affinity: float = 0.5  # 0-1: how much online ratings and digital matter
    price_weight: float = 1.0  # multiplier on price sensitivity
    expectation: float = 7.5  # mean expectation per touchpoint (0-10)


def _default_segments() -> dict[str, SegmentSpec]:
    # shares and affinities: assumption (order of Cox Car Buyer Journey segments)
    return {
        "digital_first": SegmentSpec(share=0.35, digital_affinity=0.9, price_weight=1.0,
                                     expectation=7.8),
        "traditional": SegmentSpec(share=0.45, digital_affinity=0.2, price_weight=0.8,
                                   expectation=7.4),
        "value_seeker": SegmentSpec(share=0.20, digital_affinity=0.5, price_weight=2.0,
                                    expectation=7.2),
    }


@dataclass
class CustomersConfig:
    """The population: size, segments, network, ownership and talk."""

    n: int = 20_000  # customers (households) in the market
    segments: dict[str, SegmentSpec] = field(default_factory=_default_segments)
    market_size_km: float = 60.0  # side of the square market; buyers drive 47-65 miles
    # (Edmunds, Cars.com), so every dealer is reachable
    first_time_share: float = 0.08  # share without a vehicle at start; assumption
    first_time_entry_years: float = 2.0  # mean years until a first-timer enters; assumption
    ownership_months: float = 71.0  # mean months before replacement (Polk/IHS 2012)
    ownership_cv: float = 0.35  # coefficient of variation of that horizon; assumption
    network_degree: int = 6  # mean ties per customer (small world); assumption
    network_rewire: float = 0.1  # Watts-Strogatz rewiring probability; assumption
    well_mixed: bool = False  # True: a listener is any random customer (mean field;
    # used by the Bass degenerate test)
    attitude_mean: float = 7.0  # initial attitude toward each dealer (0-10); assumption
    attitude_sd: float = 1.0  # between-customer spread; assumption
    talkativeness_sd: float = 0.5  # lognormal sd of individual talkativeness; assumption
    expectation_sd: float = 0.5  # points (0-10): spread of a customer's expectation per
    # touchpoint around the segment's mean; assumption
    affinity_sd: float = 0.1  # spread of digital affinity (0-1) around the segment's;
    # assumption
    network_view_max: int = 5_000  # build Mesa's Network space only up to this many
    # customers: its Cell objects cost about 1 kB each

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ConfigError(f"customers.n={self.n} is not a positive count; allowed: n >= 1")
        if self.network_degree < 0 or self.network_degree % 2:
            raise ConfigError(
                f"customers.network_degree={self.network_degree}; allowed: an even count >= 0"
            )
        _check_fields(self, "customers", probs=("first_time_share", "network_rewire"),
                      nonneg=("attitude_sd", "talkativeness_sd", "ownership_cv",
                              "network_view_max", "expectation_sd", "affinity_sd"),
                      positive=("market_size_km", "first_time_entry_years",
                                "ownership_months"))
        unknown = set(self.segments) - set(SEGMENTS)
        if unknown:
            raise ConfigError(
                f"customers.segments has unknown segment {sorted(unknown)[0]!r}; "
                f"allowed: {', '.join(SEGMENTS)}"
            )
        for name, s in self.segments.items():
            _check_fields(s, f"customers.segments.{name}",
                          probs=("share", "digital_affinity"), nonneg=("price_weight",))
        total = sum(s.share for s in self.segments.values())
        if abs(total - 1.0) > 1e-6:
            raise ConfigError(f"customers.segments shares sum to {total:g}; allowed: 1")


@dataclass
class TouchpointsConfig:
    """How a touchpoint moment becomes satisfaction, memory, effort and answers."""

    disconfirmation_weight: float = 0.5  # points of satisfaction per point above
    # expectation (Oliver's expectancy-disconfirmation); assumption
    loss_aversion: float = 2.0  # shortfalls weigh this many times more; assumption (MODEL.md)
    peak_weight: float = 0.4  # peak-end rule weights (Kahneman; Fredrickson & Kahneman
    end_weight: float = 0.3  # 1993): the rest goes to the episode's mean; assumption
    expectation_drift: float = 0.15  # per episode, toward what was experienced (0.1-0.2)
    relationship_memory: float = 0.4  # weight of the newest episode (0.3-0.6)
    own_experience_weight: float = 0.5  # attitude moves this far toward an own episode
    delight_rate: float = 0.12  # chance of a delight moment at engagement 1 (scales
    # with engagement); assumption, seed 003 (the gutters)
    delight_quality: float = 10.0  # how a delight moment is experienced
    handoff_quality: float = 3.0  # how a failed hand-off is experienced
    reference_quality: float = 7.5  # quality (0-10) at which fix_first_time and
    # parts_available hold and marketing adds no utility; also the sales moment of the
    # Markov configuration; the prototype's workable Q0 (MODEL.md)
    fix_first_time: float = 0.94  # at service quality 7.5 (J.D. Power CSI 2020)
    fix_quality_slope: float = 0.5  # logit per quality point; assumption
    failure_quality: float = 2.0  # how a comeback for the same fault is experienced
    recovery_rate: float = 0.6  # chance a failure is recovered well at engagement 1;
    # scales with engagement; assumption
    recovery_quality: float = 9.0  # how a good recovery is experienced
    parts_available: float = 0.92  # parts on hand at parts quality 7.5; assumption
    parts_quality_slope: float = 0.5  # logit per quality point; assumption
    parts_missing_quality: float = 3.0  # how waiting for parts is experienced
    wait_penalty_per_hour: float = 1.5  # quality points lost per hour of unplanned wait;
    # assumption (the wait is the worst moment at high load, MODEL.md)
    wait_felt_above_hours: float = 0.05  # hours: a shorter wait is no wait moment (3
    # minutes); assumption
    overloaded_wait_hours: float = 40.0  # hours: the wait in an overloaded lane (load
    # >= 1, where M/M/c has no steady state), about a working week; assumption
    problem_below: float = 5.0  # a moment experienced below this counts as a problem
    # (effort), e.g. a rude salesperson; assumption
    effort_base: float = 2.0  # CES of a smooth episode (1-7 scale); assumption
    effort_per_problem: float = 1.5  # CES added by each hand-off failure, comeback,
    # missing part; assumption
    effort_per_wait_hour: float = 0.8  # CES per hour of unplanned wait; assumption
    effort_loyalty_penalty: float = 0.6  # utility lost at the dealer per CES point
    # above effort_loyalty_above in the last episode (CEB 2010: high effort breeds
    # disloyalty)
    effort_loyalty_above: float = 4.0  # CES (1-7) above which effort costs loyalty: the
    # scale's midpoint; assumption
    high_effort_ces: float = 5.0  # CES (1-7) counted as a high-effort answer (CEB 2010's
    # top of scale); assumption
    survey_noise_sd: float = 1.0  # spread of answers around the remembered score
    effort_noise_share: float = 0.5  # CES answers move this share of survey_noise_sd
    # per unit of mood (the same z, reversed: a good mood reports less effort); assumption
    survey_generosity: float = 1.5  # points customers add when answering; sets the
    # customer side of the perception gap; assumption
    superior_score: float = 9.67  # a customer calls the experience superior when the
    # remembered score plus survey_generosity reaches this (top box); calibrated by
    # experiments/perception_gap to 8 % of customers agreeing (Allen et al. 2005)

    def __post_init__(self) -> None:
        _check_fields(
            self, "touchpoints",
            probs=("peak_weight", "end_weight", "expectation_drift", "relationship_memory",
                   "own_experience_weight", "delight_rate", "fix_first_time",
                   "recovery_rate", "parts_available"),
            nonneg=("disconfirmation_weight", "loss_aversion", "wait_penalty_per_hour",
                    "effort_per_problem", "effort_per_wait_hour", "survey_noise_sd",
                    "effort_loyalty_penalty", "wait_felt_above_hours",
                    "overloaded_wait_hours", "effort_noise_share"),
        )
        if self.peak_weight + self.end_weight > 1:
            raise ConfigError(
                "touchpoints.peak_weight + touchpoints.end_weight = "
                f"{self.peak_weight + self.end_weight:g}; allowed: <= 1"
            )


@dataclass
class ChoiceConfig:
    """Where customers shop, buy and service (multinomial logit weights)."""

    attitude_weight: float = 0.3  # utility per attitude point (0.15-0.4, MODEL.md)
    rating_weight: float = 0.6  # per online-rating point (0-10 scale) x digital affinity;
    # assumption, above the prototype's 0.1-0.3 because affinity averages ~0.5
    distance_weight: float = 0.045  # per km (0.03-0.06, MODEL.md)
    price_weight: float = 10.0  # per unit of price premium (10 % dearer = -1); assumption
    marketing_weight: float = 0.3  # per point of marketing quality above
    # touchpoints.reference_quality; assumption
    switching_cost: float = 1.0  # loyalty bonus at the selling dealer x friction;
    service_bond: float = 2.5  # extra bonus when serviced there in the last
    # service_bond_weeks; together 3.5 x friction (2.5-3.5 in MODEL.md); the split is
    # calibrated toward Cox 2025 (74 % vs 44 % expect to buy again)
    service_bond_weeks: int = 52
    visit_satisfaction_slope: float = 0.3  # logit of buying per point of visit
    # satisfaction (0.15-0.4, MODEL.md)
    buy_intercept: float = -0.9  # logit of buying at an average smooth visit with no
    # relationship there; with buy_loyalty_weight gives ~1.8 dealers visited per
    # purchase (Cox 2020: 2.0)
    buy_loyalty_weight: float = 0.45  # logit of buying at a visited dealer per unit of
    # the loyalty bonus there (switching cost and service bond x friction): the service
    # relationship weighs in the purchase itself, not only in where one shops. Calibrated
    # with buy_intercept so repurchase at the same dealer is ~73 % for owners serviced
    # there in the last year vs ~40 % for others (Cox 2025: 74 % vs 44 % expect to) and
    # ~51 % overall (S&P Global Mobility 2024 make loyalty: 51 %)
    buy_reference_score: float = 7.5  # visit satisfaction (0-10) at which the logit of
    # buying is buy_intercept; the prototype's workable Q0 (MODEL.md)
    buy_effort_slope: float = 0.3  # logit lost per CES point above buy_effort_above;
    # assumption
    buy_effort_above: float = 3.0  # CES (1-7) of a visit that costs no purchase logit:
    # one step above a smooth visit's effort_base; assumption
    buy_digital_boost: float = 0.8  # logit gained x affinity x (1 - friction): online
    # research makes each visit more decisive; assumption
    max_visits: int = 4  # after this many visits the customer buys at one of the
    # visited dealers (logit over visit satisfaction): the soft end of search
    independent_utility: float = 3.0  # utility of an independent shop for service
    independent_age_weight: float = 0.3  # extra per vehicle year: older cars leave the
    # dealer (Cox: 54 % of <=2-year-old vehicles serviced at the seller; default ~47 %)
    service_need_per_year: float = 2.3  # service needs a year (Cox 2021)
    initial_dealer_service_share: float = 0.6  # share of owners' service needs met at
    # dealers, used only to start each lane's load estimate before any visit (the
    # default market settles near it); assumption
    young_vehicle_years: float = 2.0  # years: vehicles this young or younger count for
    # "young vehicles serviced at the seller" (Cox's <=2-year-old group)
    markov_switching: list[list[float]] = field(default_factory=list)  # degenerate
    # configuration only: fixed D x D repurchase probabilities replace the journey

    def __post_init__(self) -> None:
        _check_fields(self, "choice",
                      nonneg=("distance_weight", "switching_cost", "service_bond",
                              "service_need_per_year", "independent_age_weight",
                              "young_vehicle_years"),
                      probs=("initial_dealer_service_share",),
                      positive=("max_visits",))
        for r, row in enumerate(self.markov_switching):
            for c, p in enumerate(row):
                _check_prob(f"choice.markov_switching[{r}][{c}]", p)
            if abs(sum(row) - 1) > 1e-9:
                raise ConfigError(f"choice.markov_switching[{r}] sums to {sum(row):g}; "
                                  "allowed: rows summing to 1")


@dataclass
class WordOfMouthConfig:
    """Talk between neighbours, online reviews and awareness."""

    talk_rate: float = 0.12  # chance of telling after a neutral episode; assumption
    talk_positive_slope: float = 0.4  # extra per point above neutral
    talk_negative_slope: float = 0.6  # extra per point below: bad news travels more
    # steeply; with mostly good episodes positive talk is ~3x as common (East et al. 2007)
    talk_neutral: float = 5.0  # remembered score that is not worth mentioning
    listen_weight: float = 0.15  # attitude moves this far toward what is heard (0.1-0.2)
    review_rate: float = 0.04  # chance a fully digital customer reviews a neutral
    # episode; rises at the extremes like talk; assumption
    rating_halflife_weeks: float = 52.0  # recency weighting of the public rating
    rating_prior_weight: float = 20.0  # pseudo-reviews at the prior (smoothing)
    rating_prior: float = 7.0  # platform's prior rating (0-10)
    chatter_per_year: float = 0.0  # talk not caused by an episode (0 by default; the
    # Bass degenerate configuration sets it to q)
    advertising_per_year: float = 0.03  # yearly chance an unaware customer learns of a
    # dealer from its marketing (Bass p, Sultan et al. 1990)

    def __post_init__(self) -> None:
        _check_fields(self, "word_of_mouth",
                      probs=("talk_rate", "listen_weight", "review_rate"),
                      nonneg=("talk_positive_slope", "talk_negative_slope",
                              "chatter_per_year", "advertising_per_year",
                              "rating_prior_weight"),
                      positive=("rating_halflife_weeks",))


def _car_season() -> list[float]:
    # Monthly weights of new-car sales, gently peaking in spring and year end
    # (assumption, shape of US monthly SAAR seasonality).
    return [0.85, 0.9, 1.1, 1.0, 1.1, 1.05, 1.0, 1.05, 1.0, 0.95, 0.95, 1.05]


@dataclass
class MarketConfig:
    """The market: industry, friction path, seasonality and the clock."""

    industry: str = "car"
    years: float = 5.0  # simulated horizon (recorded weeks = 52 x years)
    warmup_weeks: int = 52  # weeks simulated before recording, so service bonds and
    # ratings settle; assumption
    friction_start: float = 1.0  # digital friction phi at week 0
    friction_decline: float = 0.04  # fractional fall a year ("a few %"); assumption
    friction_floor: float = 0.2  # phi never falls below this; assumption
    friction_step_week: int = -1  # >= 0: phi drops to friction_step_to at this week
    friction_step_to: float = 0.5  # (digital_disruption)
    season: list[float] = field(default_factory=_car_season)  # 12 monthly weights of
    # market entry; normalised to mean 1

    def __post_init__(self) -> None:
        if self.industry not in ("car", "boat"):
            raise ConfigError(f"market.industry={self.industry!r}; allowed: car, boat")
        if len(self.season) != 12:
            raise ConfigError(f"market.season has {len(self.season)} values; allowed: 12")
        for i, w in enumerate(self.season):
            _check_nonneg(f"market.season[{i}]", w)
        if sum(self.season) <= 0:
            raise ConfigError("market.season sums to 0; allowed: some positive month")
        _check_fields(self, "market", probs=("friction_decline",),
                      nonneg=("warmup_weeks", "friction_start", "friction_floor",
                              "friction_step_to"),
                      positive=("years",))


@dataclass
class RulesConfig:
    """Which implementation runs each process, by registered name (``cxsim.rules``).

    Names only, never import paths: a rule becomes selectable once its module has
    registered it (a package's ``cxsim.rules`` entry point, or ``--rules FILE``).
    """

    entry: str = "default"  # entering the market
    shopping: str = "default"  # visits and the decision to buy there
    purchase: str = "default"  # final choice, the sale, the owner's new life
    service: str = "default"  # ownership: service needs and lane visits
    word_of_mouth: str = "default"  # talk, chatter, reviews and advertising


@dataclass
class InvestmentConfig:
    """The focal dealer's programme: extra spend per touchpoint and on people."""

    name: str = "none"
    spend: TouchpointValues = field(default_factory=TouchpointValues)  # k$/year
    engagement_spend: float = 0.0  # k$/year on staff engagement (common purpose)
    consistency_spend: float = 0.0  # k$/year on standards that narrow the spread
    extra_bays: int = 0  # service bays added
    start_week: int = 0  # recorded week at which spending starts
    copied_by: int = -1  # >= 0: this dealer copies the programme ...
    copy_after_weeks: int = 52  # ... this many weeks later (competitor_response)

    def __post_init__(self) -> None:
        for t in TOUCHPOINTS:
            _check_nonneg(f"investment.spend.{t}", getattr(self.spend, t))
        _check_fields(self, "investment",
                      nonneg=("engagement_spend", "consistency_spend", "extra_bays",
                              "start_week", "copy_after_weeks"))


@dataclass
class RunConfig:
    """Everything one simulation run needs."""

    seed: int = 0
    customers: CustomersConfig = field(default_factory=CustomersConfig)
    dealers: DealersConfig = field(default_factory=DealersConfig)
    touchpoints: TouchpointsConfig = field(default_factory=TouchpointsConfig)
    choice: ChoiceConfig = field(default_factory=ChoiceConfig)
    word_of_mouth: WordOfMouthConfig = field(default_factory=WordOfMouthConfig)
    market: MarketConfig = field(default_factory=MarketConfig)
    investment: InvestmentConfig = field(default_factory=InvestmentConfig)
    rules: RulesConfig = field(default_factory=RulesConfig)
    engine: str = "fast"  # "fast" (event-driven arrays) or "stepped" (agent.step)
    progress: bool = True  # show a progress bar
    plots: bool = True  # write PNG plots with the results

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise ConfigError(f"seed={self.seed} is negative; allowed: seed >= 0")
        if self.engine not in ("fast", "stepped"):
            raise ConfigError(f"engine={self.engine!r}; allowed: fast, stepped")
        n_d = len(self.dealers.dealers)
        inv = self.investment
        if inv.copied_by >= n_d or inv.copied_by == self.dealers.focal:
            raise ConfigError(
                f"investment.copied_by={inv.copied_by}; allowed: -1 or a rival's index "
                f"other than dealers.focal ({self.dealers.focal})"
            )
        if self.weeks < 1:
            raise ConfigError(
                f"market.years={self.market.years} gives {self.weeks} recorded weeks; "
                "allowed: market.years >= 1/52 (at least one week)")
        ms = self.choice.markov_switching
        if ms and (len(ms) != n_d or any(len(r) != n_d for r in ms)):
            raise ConfigError(
                f"choice.markov_switching must be {n_d} x {n_d} (one row per dealer)"
            )
        if ms and self.customers.first_time_share > 0:
            raise ConfigError(
                "choice.markov_switching needs customers.first_time_share=0: a fixed "
                "switching matrix has no row for a customer without a dealer")

    @property
    def weeks(self) -> int:
        """Recorded weeks."""
        return int(round(self.market.years * WEEKS_PER_YEAR))
