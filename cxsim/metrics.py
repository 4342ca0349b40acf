"""Weekly measures per dealer, accumulated from events and tidied into a table.

Counts are summed per dealer with ``np.bincount`` as events happen; at the end
of each recorded week they are frozen into one row per dealer. Rates (NPS,
CSAT, retention, ...) are derived from the counts, so any aggregation over
weeks (the run summary, an experiment) can recompute them exactly.

Events are counted on the simulated sample; the table reports real units:
every count and amount of money times the sample's weight w (real households
per simulated customer), except the programme's cost, which the store pays in
real k$ already. Rates are ratios of counts, so w cancels in them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxsim.config import TOUCHPOINTS

COUNTS = (
    "units_sold", "service_visits", "owner_service_needs", "owner_serviced_here",
    "churn_to_competitors", "churn_to_independents", "repurchases", "loyal_repurchases",
    "responses", "promoters", "detractors", "csat_sum", "ces_sum", "score_sum",
    "top_box", "high_effort", "wom_positive", "wom_negative", "reviews", "visits",
    "wait_hours_sum", "revenue_k", "gross_profit_k", "investment_k",
    "young_needs", "young_at_seller", "repurchases_serviced", "loyal_repurchases_serviced",
)
"""Quantities summed over the week's events, per dealer."""

FUNNEL = ("visited", "bought", "serviced_after_buying", "bought_again")

UNWEIGHTED = ("investment_k",)
"""Counters already in real units (the store's yearly spend is not sampled)."""


class Metrics:
    """Accumulates one week at a time for ``n_dealers`` dealers over ``weeks`` weeks."""

    def __init__(self, n_dealers: int, weeks: int, weight: float = 1.0,
                 reps: int | None = None, rep_weights: list[float] | None = None) -> None:
        """``reps``: a stacked batch of replications (:mod:`cxsim.batch`), whose
        dealers are ``n_dealers / reps`` per replication, whose market measures
        are one column per replication and whose weights are ``rep_weights``."""
        self.d = n_dealers
        self.weight = weight  # real households per simulated customer
        self.rep_weights = rep_weights
        self.weeks = weeks
        # The week's counters are rows of one matrix, and the recorded weeks one 3-D
        # block, so that clearing and freezing a week are one operation each rather
        # than one per counter; ``cur`` and ``rows`` name views of them.
        self._cur = np.zeros((len(COUNTS), n_dealers))
        self._counts = np.zeros((weeks, len(COUNTS), n_dealers))
        self._row_of = {k: i for i, k in enumerate(COUNTS)}
        self._offsets: dict[tuple[str, ...], np.ndarray] = {}
        self.cur = {k: self._cur[i] for i, k in enumerate(COUNTS)}
        self.kpi_sum = np.zeros((n_dealers, len(TOUCHPOINTS)))
        self.kpi_n = np.zeros((n_dealers, len(TOUCHPOINTS)))
        self.rows: dict[str, np.ndarray] = {k: self._counts[:, i] for i, k in enumerate(COUNTS)}
        for k in ("online_rating", "owners", "self_rating", "utilisation", "bays",
                  "engagement"):
            self.rows[k] = np.zeros((weeks, n_dealers))
        shape = weeks if reps is None else (weeks, reps)
        self.market = {k: np.zeros(shape) for k in ("friction", "in_market", "entered")}
        self.funnel = {k: np.zeros(n_dealers, dtype=np.int64) for k in FUNNEL}
        self.entered = 0

    def add(self, name: str, dealers: np.ndarray, weights: np.ndarray | float = 1.0) -> None:
        """Add ``weights`` to counter ``name`` of each event's dealer."""
        if dealers.size == 0:
            return
        w = None if np.isscalar(weights) and weights == 1.0 else \
            np.broadcast_to(weights, dealers.shape)
        self.cur[name] += np.bincount(dealers, weights=w, minlength=self.d)

    def add_many(self, dealers: np.ndarray, items: dict[str, np.ndarray | float]) -> None:
        """Several counters over the same events.

        Each value is a weight per event (a boolean mask counts the events it marks),
        or a scalar applied to every event. A small batch is one ``bincount`` over a
        (counters, events) block (fewer calls); a large one a ``bincount`` per
        counter (less memory traffic). Each bin sums its events in the same order
        either way.
        """
        n = dealers.size
        if n == 0:
            return
        if n < 4096:  # small batches: one bincount over a (counters, events) block
            self._add_block(dealers, items)
            return
        counts = None
        for name, v in items.items():
            row = self._cur[self._row_of[name]]
            if np.isscalar(v) and v == 1.0:
                if counts is None:
                    counts = np.bincount(dealers, minlength=self.d)
                row += counts
            else:
                w = np.full(n, v) if np.isscalar(v) else v
                row += np.bincount(dealers, weights=w, minlength=self.d)

    def _add_block(self, dealers: np.ndarray, items: dict[str, np.ndarray | float]) -> None:
        weights = np.empty((len(items), dealers.size))
        for j, v in enumerate(items.values()):
            weights[j] = v
        names = tuple(items)
        offsets = self._offsets.get(names)
        if offsets is None:  # where each counter's bins start in the flat week matrix
            offsets = self._offsets[names] = \
                self.d * np.array([self._row_of[name] for name in names])[:, None]
        index = dealers[None, :] + offsets
        self._cur += np.bincount(index.ravel(), weights=weights.ravel(),
                                 minlength=self._cur.size).reshape(self._cur.shape)

    def kpi(self, dealers: np.ndarray, touchpoints: int | np.ndarray,
            experienced: np.ndarray) -> None:
        """Record experienced quality of touchpoints, as their departments measure it.

        ``touchpoints`` is one touchpoint, with ``experienced`` one value per event,
        or k touchpoints with ``experienced`` (k, events).
        """
        if dealers.size == 0:
            return
        nt = self.kpi_sum.shape[1]
        index = (dealers * nt + np.asarray(touchpoints).reshape(-1, 1)).ravel()
        # Flat (dealer, touchpoint) bins: each bin sums its own events in order, as
        # a bincount per touchpoint would.
        self.kpi_sum += np.bincount(index, weights=np.ravel(experienced),
                                    minlength=self.kpi_sum.size).reshape(self.kpi_sum.shape)
        self.kpi_n += np.bincount(index, minlength=self.kpi_n.size).reshape(self.kpi_n.shape)

    def close_week(self, week: int, record: bool, state: dict[str, np.ndarray],
                   market: dict[str, float]) -> None:
        """Freeze the week (if recorded) and start the next."""
        if record:
            self._counts[week] = self._cur
            for k, v in state.items():
                self.rows[k][week] = v
            for k, v in market.items():
                self.market[k][week] = v
        self._cur[:] = 0.0
        self.kpi_sum[:] = 0.0
        self.kpi_n[:] = 0.0

    def replica(self, r: int, nd: int) -> Metrics:
        """Replication ``r``'s measures in a stacked batch (its ``nd`` dealers' columns):
        the very numbers its own run records."""
        out = object.__new__(Metrics)
        cols = slice(r * nd, (r + 1) * nd)
        out.d, out.weeks = nd, self.weeks
        out.weight = self.weight if self.rep_weights is None else self.rep_weights[r]
        out.rows = {k: v[:, cols] for k, v in self.rows.items()}
        out.market = {k: v[:, r] for k, v in self.market.items()}
        out.funnel = {k: v[cols] for k, v in self.funnel.items()}
        return out

    def funnel_real(self) -> dict[str, np.ndarray]:
        """The journey funnel's counts per dealer in real households."""
        return {k: v * self.weight for k, v in self.funnel.items()}

    def department_ratings(self) -> np.ndarray:
        """Each department's KPI (mean experienced quality of its touchpoint), per dealer."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.kpi_sum / self.kpi_n

    def frame(self, dealer_names: list[str]) -> pd.DataFrame:
        """Tidy weekly table in real units: one row per (week, dealer)."""
        w, d = self.weeks, self.d
        real = [k for k in (*COUNTS, "owners") if k not in UNWEIGHTED]
        out: dict[str, np.ndarray] = {
            "week": np.repeat(np.arange(w), d),
            "dealer": np.tile(np.array(dealer_names, dtype=object), w),
        }
        for k, v in self.rows.items():
            out[k] = v.reshape(-1)
        if self.weight != 1.0:
            for k in real:
                out[k] = out[k] * self.weight
        for k, v in self.market.items():
            out[k] = np.repeat(v if k == "friction" else v * self.weight, d)
        df = pd.DataFrame(out)
        return add_rates(df)


def _ratio(num: pd.Series | np.ndarray, den: pd.Series | np.ndarray) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


RATE_INPUTS = ("units_sold", "owner_serviced_here", "owner_service_needs", "promoters",
               "detractors", "responses", "csat_sum", "ces_sum", "score_sum", "top_box",
               "wait_hours_sum", "service_visits", "gross_profit_k", "investment_k",
               "young_at_seller", "young_needs", "loyal_repurchases", "repurchases",
               "loyal_repurchases_serviced", "repurchases_serviced")
"""The counts the rates are made of."""


def add_rates(df: pd.DataFrame, units_total: np.ndarray | None = None) -> pd.DataFrame:
    """Derive the rates CX people read from the summed counts; returns the frame with
    them (a rate already there is replaced where it stands, new ones are added at
    the end in one step: a column at a time costs more than the arithmetic)."""
    if units_total is None:
        units_total = df.groupby("week")["units_sold"].transform("sum").to_numpy()
    col = {k: df[k].to_numpy() for k in (*RATE_INPUTS, "self_rating")}
    responses = col["responses"]
    rates = {
        "share": _ratio(col["units_sold"], units_total),
        "service_retention": _ratio(col["owner_serviced_here"], col["owner_service_needs"]),
        "nps": 100.0 * _ratio(col["promoters"] - col["detractors"], responses),
        "csat": _ratio(col["csat_sum"], responses),
        "ces": _ratio(col["ces_sum"], responses),
        "customer_rating": _ratio(col["score_sum"], responses),
        "top_box_share": _ratio(col["top_box"], responses),
    }
    rates["perception_gap"] = col["self_rating"] - rates["customer_rating"]
    rates["mean_wait_hours"] = _ratio(col["wait_hours_sum"], col["service_visits"])
    rates["profit_k"] = col["gross_profit_k"] - col["investment_k"]
    rates["young_serviced_at_seller"] = _ratio(col["young_at_seller"], col["young_needs"])
    rates["loyalty"] = _ratio(col["loyal_repurchases"], col["repurchases"])
    rates["loyalty_if_serviced"] = _ratio(col["loyal_repurchases_serviced"],
                                          col["repurchases_serviced"])
    rates["loyalty_if_not_serviced"] = _ratio(
        col["loyal_repurchases"] - col["loyal_repurchases_serviced"],
        col["repurchases"] - col["repurchases_serviced"])
    for k in [k for k in rates if k in df.columns]:
        df[k] = rates.pop(k)
    if not rates:
        return df
    return pd.concat([df, pd.DataFrame(rates, index=df.index)], axis=1)


def summarise(df: pd.DataFrame) -> pd.DataFrame:
    """One row per dealer over the whole horizon, rates recomputed from totals."""
    sums = df.groupby("dealer", sort=False)[list(COUNTS)].sum()
    last = df[df["week"] == df["week"].max()].set_index("dealer")
    out = sums.copy()
    for k in ("online_rating", "owners", "bays", "engagement"):
        out[k] = last[k]
    out["self_rating"] = df.groupby("dealer", sort=False)["self_rating"].mean()
    out = out.reset_index()
    out["week"] = 0
    out = add_rates(out, units_total=np.full(len(out), out["units_sold"].sum()))
    return out.drop(columns=["week"])
