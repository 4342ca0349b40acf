"""How a touchpoint moment becomes satisfaction, memory, effort and survey answers."""

from __future__ import annotations

from dataclasses import dataclass

from cxsim.config.common import ConfigError, _check_fields


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
    superior_score: float = 10.15  # a customer calls the experience superior when the
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
