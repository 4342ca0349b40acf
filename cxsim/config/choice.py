"""Where customers shop, buy and service: the choice weights and the loyalty bonus."""

from __future__ import annotations

from dataclasses import dataclass, field

from cxsim.config.common import ConfigError, _check_fields, _check_prob


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
    wait_weight: float = 0.1  # service utility lost per hour of expected queueing
    # beyond the steady state (a backlog or an overloaded lane); assumption: a working
    # day's backlog (8 h) weighs like 18 km of driving
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
                      nonneg=("distance_weight", "wait_weight", "switching_cost", "service_bond",
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
