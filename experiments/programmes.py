"""The experiments' investment programmes: read presets, split budgets, record calibrations.

``conf/investment/cx_program.yaml`` holds the calibrated holistic programme and
``service_only.yaml`` the same money on the service department. The
``disney_lift`` calibration never rewrites them: it writes both files, in the
same form, into its results folder (``<report>/conf/investment/``) and says how
to adopt them. Every programme here is a :class:`cxsim.programme.Programme`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cxsim.config import SERVICE_TOUCHPOINTS, TOUCHPOINTS
from cxsim.programme import SPEND_LINES, Programme
from cxsim.run import compose

SERVICE_SPLIT = dict.fromkeys(SERVICE_TOUCHPOINTS, 1.0 / 3.0)
"""How service_only divides its budget: equal thirds of service, parts, communication."""


def read_programme(name: str) -> Programme:
    """The programme ``conf/investment/<name>.yaml`` as composed by Hydra."""
    return Programme.from_config(compose([f"investment={name}"]))


def as_overrides(name: str, programme: Programme) -> list[str]:
    """Overrides selecting preset ``name`` and setting every line of ``programme``."""
    return [f"investment={name}", *programme.overrides()]


def service_split(total: float, split: Mapping[str, float] | None = None,
                  extra_bays: int = 0) -> Programme:
    """``total`` k$/year over service-department touchpoints, in proportion to ``split``.

    The other lines are 0, so the spend lines cost exactly ``total`` (rounding
    puts the remainder on the first line); ``extra_bays`` come on top.
    """
    split = dict(split or SERVICE_SPLIT)
    weight = sum(split.values())
    lines = dict.fromkeys(SPEND_LINES, 0.0)
    for t, w in split.items():
        lines[t] = float(round(total * w / weight))
    first = next(iter(split))
    lines[first] = round(lines[first] + total - sum(lines.values()), 6)
    return Programme(lines, extra_bays=extra_bays, name="service_only")


CX_PROGRAM_NOTE = [
    "A holistic experience programme at the focal dealer: every touchpoint,",
    "staff engagement (common purpose) and consistency (standards), k$ a year.",
    "",
    "CALIBRATED by the disney_lift experiment (MODEL.md P1: +26 % focal unit sales",
    "over three years against the same market without it). Rerun the calibration",
    "with:  .venv/bin/python -m experiments.run experiment=disney_lift",
    "which writes this file and service_only.yaml (same total) under",
    "results/experiments/disney_lift/conf/investment/ and checks the lift on fresh",
    "seeds; copy both to conf/investment/ to make them the defaults. Only the overall",
    "strength is calibrated: the profile across lines (equal per touchpoint, 1.5x on",
    "engagement) is an assumption.",
]
SERVICE_ONLY_NOTE = [
    "The same money as cx_program, spent on the service department only.",
    "",
    "'Service department only' means the three touchpoints the service department",
    "owns, in equal thirds: service (technicians, training: fix right first time),",
    "parts (availability) and communication (progress updates by the service",
    "advisors). Not included: the sales-side touchpoints; staff engagement and",
    "consistency standards, which are dealership-wide 'common purpose' levers no",
    "departmental budget buys (seed 004); and extra service bays (capacity, priced",
    "separately: see the variants of the service_vs_experience experiment).",
    "",
    "Written by the disney_lift calibration together with cx_program.yaml, with the",
    "same total; do not edit one without the other (tests/test_experiments.py checks",
    "the totals are equal).",
]


def write_preset(p: Programme, note: list[str], folder: Path) -> Path:
    """Write ``<folder>/<p.name>.yaml``, a ``conf/investment`` file, under a comment."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{p.name}.yaml"
    text = [*[f"# {line}".rstrip() for line in note], f"# Total: {p.cost_k:g} k$ a year.",
            f"name: {p.name}", "spend:", *[f"  {t}: {p.spend[t]:g}" for t in TOUCHPOINTS],
            f"engagement_spend: {p.spend['engagement']:g}",
            f"consistency_spend: {p.spend['consistency']:g}"]
    if p.extra_bays:
        text.append(f"extra_bays: {p.extra_bays}")
    path.write_text("\n".join(text) + "\n")
    return path


def write_calibration(p: Programme, note: list[str], folder: Path) -> list[Path]:
    """``cx_program.yaml`` (with ``note`` on how it was calibrated) and ``service_only.yaml``
    (the same total on the service department) in ``folder``."""
    return [write_preset(p.replace(name="cx_program"), [*CX_PROGRAM_NOTE, *note], folder),
            write_preset(service_split(p.cost_k), SERVICE_ONLY_NOTE, folder)]
