"""The distance between a run and the history, on standardised monthly summaries.

Each store-metric-month is divided by its scale: the spread of that summary over
runs from the prior (the prior-predictive sd, from pyabc's calibration sample)
and the survey's own sampling noise, added in quadrature. The distance is the root
mean square of these standardised differences (:func:`summaries.standardised`).
The scales are written beside pyabc's database once made, so a resumed
calibration measures with the same ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from pyabc.distance import Distance

from cxsim.calibrate.summaries import standardised


class StandardisedDistance(Distance):
    """RMS of (simulated - observed) / sqrt(prior-predictive variance + survey noise)."""

    def __init__(self, noise: dict[str, np.ndarray], path: Path) -> None:
        super().__init__()
        self.noise = noise
        self.path = Path(path)
        self.scale: dict[str, np.ndarray] | None = None
        if self.path.is_file():
            saved = json.loads(self.path.read_text())
            self.scale = {k: np.asarray(v, dtype=float) for k, v in saved.items()}

    def requires_calibration(self) -> bool:
        return self.scale is None

    def initialize(self, t: int, get_sample: Callable[[], Any], x_0: dict,
                   total_sims: int) -> None:
        if self.scale is not None:
            return
        sims = [p.sum_stat for p in get_sample().accepted_particles]
        self.scale = {}
        for k in x_0:
            stack = np.array([np.asarray(s[k], float) for s in sims])
            with np.errstate(invalid="ignore"):
                var = np.nanvar(stack, axis=0, ddof=1) if len(stack) > 1 else \
                    np.zeros(stack.shape[1])
            self.scale[k] = np.sqrt(np.nan_to_num(var) + self.noise[k])
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: v.tolist() for k, v in self.scale.items()}))
        tmp.rename(self.path)

    def __call__(self, x: dict, x_0: dict, t: int | None = None, par: dict | None = None
                 ) -> float:
        assert self.scale is not None, "initialize() first"
        return standardised(x, x_0, self.scale)

    def get_config(self) -> dict:
        return {"name": "StandardisedDistance", "scales": str(self.path.name)}
