"""How big a run will be, checked before anything is allocated.

Memory: :data:`BASE_BYTES` for the interpreter and libraries plus
:data:`BYTES_PER_CUSTOMER` a customer (``benchmarks/bench_core.py
--memory-only`` measured about 483 bytes at 1-2 million customers with six
ties each; each further tie adds about :data:`BYTES_PER_TIE`), and the weekly
tables (dealers x weeks). Time: :data:`CUSTOMER_WEEKS_PER_SECOND`, a rough
single-core rate. A run whose estimate exceeds the limit is refused with one
line; the limit is what the machine has available (``MemAvailable`` of
``/proc/meminfo``), or ``CXSIM_MAX_MEMORY_GB`` (the ``cxsim --max-memory GB``
flag sets it; 0 turns the check off).
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

from cxsim.config import ConfigError, RunConfig

BASE_BYTES = 300 * 2**20
BYTES_PER_CUSTOMER = 483
BYTES_PER_TIE = 16
BYTES_PER_DEALER_WEEK = 80 * 8  # about 80 float columns a (week, dealer) row
CUSTOMER_WEEKS_PER_SECOND = 2e6
LIMIT_ENV = "CXSIM_MAX_MEMORY_GB"


def estimate_bytes(cfg: RunConfig) -> int:
    """Peak memory of one run of ``cfg`` (a rough upper estimate)."""
    c = cfg.customers
    per = BYTES_PER_CUSTOMER + BYTES_PER_TIE * max(0, c.network_degree - 6)
    table = BYTES_PER_DEALER_WEEK * len(cfg.dealers.dealers) * (cfg.weeks + 1)
    return int(BASE_BYTES + per * cfg.sample.customers + table)


def estimate_seconds(cfg: RunConfig) -> float:
    """Rough wall time of one run on one core."""
    weeks = cfg.weeks + cfg.market.warmup_weeks
    return cfg.sample.customers * weeks / CUSTOMER_WEEKS_PER_SECOND


def available_bytes() -> int | None:
    """Memory this process can have now: the machine's ``MemAvailable``, or this
    process's address-space limit (``ulimit -v``) if lower; None where unknown."""
    found: list[int] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                found.append(int(line.split()[1]) * 1024)
    except OSError:
        pass
    soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    if soft != resource.RLIM_INFINITY:
        found.append(soft)
    return min(found) if found else None


def limit_bytes() -> tuple[int | None, str]:
    """The memory limit and where it comes from (None: no check)."""
    given = os.environ.get(LIMIT_ENV, "").strip()
    if given:
        gb = float(given)
        return (None, "") if gb <= 0 else (int(gb * 2**30), f"--max-memory {gb:g}")
    return available_bytes(), "available"


def check(cfg: RunConfig, parallel: int = 1) -> None:
    """Raise :class:`ConfigError` if ``parallel`` runs of ``cfg`` would not fit."""
    limit, source = limit_bytes()
    need = estimate_bytes(cfg) * max(1, parallel)
    if limit is None or need <= limit:
        return
    hours = estimate_seconds(cfg) / 3600
    jobs = f" x {parallel} parallel jobs" if parallel > 1 else ""
    raise ConfigError(
        f"sample.customers={cfg.sample.customers:,}, market.years={cfg.market.years:g}, "
        f"{len(cfg.dealers.dealers)} dealers{jobs} need about {need / 2**30:.1f} GB "
        f"(and ~{hours:.1f} h), more than the {limit / 2**30:.1f} GB {source}; allowed: "
        f"a smaller market, or cxsim --max-memory GB to set the limit (0: no check)")
