"""Stories: one preset per idea a trainer teaches, with its narrative and markers.

Each story is a YAML file in ``cxsim/dashboard/stories/`` (installed with the
package): a title, the idea in a line, a short narrative shown on the page, the
Hydra overrides that set its levers, and optionally the industry, the
programme the reference arm runs instead of nothing (``against``), the two
arms' labels and a store that opens at week 0 (``newcomer``). Chapter markers
(programme starts, a rival copies, friction falls, the season opens) follow
from the composed config, so they stay true when a lever moves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from cxsim.config import WEEKS_PER_YEAR, RunConfig

FOLDER = Path(__file__).with_name("stories")
ORDER = ("pays_back", "disney", "perception_gap", "word_of_mouth", "friction",
         "rival_copies", "boat_spring")
"""The order a trainer meets them in (other files follow, by name)."""
KEYS = {"title", "idea", "narrative", "overrides", "industry", "against", "labels",
        "newcomer"}


@dataclass(frozen=True)
class Story:
    """One story as its file states it."""

    name: str
    title: str
    idea: str
    narrative: str
    overrides: tuple[str, ...] = ()
    industry: str = "car"
    against: str | None = None  # investment preset of the reference arm (None: nothing)
    labels: tuple[str, str] = ("without the programme", "with the programme")
    newcomer: dict | None = None  # a store opening at week 0: name, x_km, y_km


def _load(path: Path) -> Story:
    raw = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise ValueError(f"story {path.name}: unknown key {unknown[0]!r}; allowed: "
                         f"{', '.join(sorted(KEYS))}")
    labels = tuple(raw.get("labels") or Story.labels)
    if len(labels) != 2:
        raise ValueError(f"story {path.name}: labels must name two arms, got {labels}")
    return Story(name=path.stem, title=str(raw["title"]), idea=str(raw["idea"]),
                 narrative=" ".join(str(raw["narrative"]).split()),
                 overrides=tuple(str(o) for o in raw.get("overrides") or ()),
                 industry=str(raw.get("industry", "car")), against=raw.get("against"),
                 labels=labels, newcomer=raw.get("newcomer"))


@cache
def stories() -> dict[str, Story]:
    """Every story by name, in :data:`ORDER`."""
    found = {p.stem: p for p in FOLDER.glob("*.yaml")}
    names = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    return {n: _load(found[n]) for n in names}


@dataclass(frozen=True)
class Marker:
    """A chapter of the story: something that happens at a recorded week."""

    week: int
    label: str
    kind: str = field(default="event", compare=False)


def markers(cfg: RunConfig, newcomer: str | None = None) -> list[Marker]:
    """Chapter markers of a run, from its config (weeks within the horizon)."""
    inv, mk = cfg.investment, cfg.market
    out = []
    if newcomer:
        out.append(Marker(0, f"{newcomer} opens"))
    funds = any(getattr(inv.spend, t) for t in vars(inv.spend)) or inv.engagement_spend \
        or inv.consistency_spend or inv.extra_bays
    if funds:
        out.append(Marker(int(inv.start_week), "programme starts"))
        if inv.copied_by >= 0:
            out.append(Marker(int(inv.start_week + inv.copy_after_weeks), "a rival copies"))
    if mk.friction_step_week >= 0:
        out.append(Marker(int(mk.friction_step_week),
                          f"friction falls to {mk.friction_step_to:g}"))
    if mk.industry == "boat":
        # the month whose weight first doubles the last one opens the season
        season = list(mk.season)
        opens = next((i for i in range(1, 12) if season[i] >= 2 * season[i - 1]), 1)
        peak = max(range(12), key=season.__getitem__)
        for year in range(int(cfg.weeks // WEEKS_PER_YEAR) + 1):
            for month, label in ((opens, "season opens"), (peak, "peak month")):
                week = int(round((year + month / 12) * WEEKS_PER_YEAR))
                out.append(Marker(week, label, "season"))
    return sorted((m for m in out if 0 <= m.week < cfg.weeks), key=lambda m: m.week)
