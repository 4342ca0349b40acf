"""The investment programmes as conf files: read them, scale them, write them.

``conf/investment/cx_program.yaml`` holds the calibrated holistic programme
(written by the ``disney_lift`` experiment); ``service_only.yaml`` is derived
from it so that both always cost the same k$ a year.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cxsim.compare import arm_config
from cxsim.config import SERVICE_TOUCHPOINTS, TOUCHPOINTS, InvestmentConfig
from experiments.common import CONF_DIR

INVESTMENT_DIR = CONF_DIR / "investment"
SERVICE_SPLIT = dict.fromkeys(SERVICE_TOUCHPOINTS, 1.0 / 3.0)
"""How service_only divides its budget: equal thirds of service, parts, communication."""


def read_programme(name: str) -> InvestmentConfig:
    """The programme ``conf/investment/<name>.yaml`` as composed by Hydra."""
    return arm_config([f"investment={name}"]).investment


def spend_lines(inv: InvestmentConfig) -> dict[str, float]:
    """Every k$/year line of a programme (touchpoints, engagement, consistency)."""
    lines = {t: float(getattr(inv.spend, t)) for t in TOUCHPOINTS}
    lines["engagement_spend"] = float(inv.engagement_spend)
    lines["consistency_spend"] = float(inv.consistency_spend)
    return lines


def as_overrides(name: str, lines: Mapping[str, float], extra_bays: int = 0) -> list[str]:
    """Overrides selecting programme ``name`` and setting every spend line."""
    out = [f"investment={name}"]
    for k, v in lines.items():
        key = f"investment.{k}" if k.endswith("_spend") else f"investment.spend.{k}"
        out.append(f"{key}={float(v):g}")
    if extra_bays:
        out.append(f"investment.extra_bays={int(extra_bays)}")
    return out


def scaled(lines: Mapping[str, float], scale: float, digits: int = 0) -> dict[str, float]:
    """Every line times ``scale``, rounded to ``digits`` decimals of a k$."""
    return {k: round(v * scale, digits) for k, v in lines.items()}


def service_split(total: float, split: Mapping[str, float] | None = None) -> dict[str, float]:
    """``total`` k$/year over service-department touchpoints, in proportion to ``split``.

    The other lines are 0, so the programme costs exactly ``total`` (rounding
    puts the remainder on the first line).
    """
    split = dict(split or SERVICE_SPLIT)
    weight = sum(split.values())
    lines = dict.fromkeys([*TOUCHPOINTS, "engagement_spend", "consistency_spend"], 0.0)
    for t, w in split.items():
        lines[t] = float(round(total * w / weight))
    first = next(iter(split))
    lines[first] = round(lines[first] + total - sum(lines.values()), 6)
    return lines


def _spend_block(lines: Mapping[str, float]) -> list[str]:
    out = ["spend:"]
    out += [f"  {t}: {lines[t]:g}" for t in TOUCHPOINTS]
    return out


def write_cx_program(lines: Mapping[str, float], note: list[str],
                     path: Path | None = None) -> Path:
    """Write ``cx_program.yaml`` with these spend lines and a provenance comment."""
    path = path or INVESTMENT_DIR / "cx_program.yaml"
    total = sum(lines.values())
    text = [
        "# A holistic experience programme at the focal dealer: every touchpoint,",
        "# staff engagement (common purpose) and consistency (standards), k$ a year.",
        "#",
        "# CALIBRATED by the disney_lift experiment (MODEL.md P1: +26 % focal unit sales",
        "# over three years against the same market without it). Rerun the calibration",
        "# with:  .venv/bin/python -m experiments.run experiment=disney_lift",
        "# which rewrites this file and service_only.yaml (same total) and checks the",
        "# lift on fresh seeds. Only the overall strength is calibrated: the profile",
        "# across lines (equal per touchpoint, 1.5x on engagement) is an assumption.",
        *[f"# {line}" for line in note],
        f"# Total: {total:g} k$ a year.",
        "name: cx_program",
        *_spend_block(lines),
        f"engagement_spend: {lines['engagement_spend']:g}",
        f"consistency_spend: {lines['consistency_spend']:g}",
    ]
    path.write_text("\n".join(text) + "\n")
    return path


def write_service_only(total: float, path: Path | None = None) -> Path:
    """Write ``service_only.yaml``: ``total`` k$/year on the service department only."""
    path = path or INVESTMENT_DIR / "service_only.yaml"
    lines = service_split(total)
    text = [
        "# The same money as cx_program, spent on the service department only.",
        "#",
        "# 'Service department only' means the three touchpoints the service department",
        "# owns, in equal thirds: service (technicians, training: fix right first time),",
        "# parts (availability) and communication (progress updates by the service",
        "# advisors). Not included: the sales-side touchpoints; staff engagement and",
        "# consistency standards, which are dealership-wide 'common purpose' levers no",
        "# departmental budget buys (seed 004); and extra service bays (capacity, priced",
        "# separately: see the variants of the service_vs_experience experiment).",
        "#",
        f"# Total: {total:g} k$ a year = cx_program's total. Written by the disney_lift",
        "# calibration together with cx_program.yaml; do not edit one without the other",
        "# (tests/test_experiments.py checks the totals are equal).",
        "name: service_only",
        *_spend_block(lines),
    ]
    path.write_text("\n".join(text) + "\n")
    return path
