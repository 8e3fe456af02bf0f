"""Planning: a pure function from a schedule and a period to a plan of airings."""

from __future__ import annotations

from playout.planning.checks import capacity_warnings
from playout.planning.frequency import NORMAL_LEVEL, per_day
from playout.planning.makegoods import place_make_goods
from playout.planning.model import Airing, DayCount, Placement, Plan, Shortfall
from playout.planning.planner import PlanningError, plan

__all__ = [
    "NORMAL_LEVEL",
    "Airing",
    "DayCount",
    "Placement",
    "Plan",
    "PlanningError",
    "Shortfall",
    "capacity_warnings",
    "per_day",
    "place_make_goods",
    "plan",
]
