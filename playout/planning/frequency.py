"""How many airings a campaign asks for on a given day (pure functions of the model)."""

from __future__ import annotations

from datetime import date, timedelta

from playout.schedule.model import Campaign

NORMAL_LEVEL = 1


def base_per_day(campaign: Campaign, day: date) -> int:
    """Airings requested on ``day`` at the normal alert level (0 when inactive)."""
    if not campaign.active_on(day):
        return 0
    if campaign.at is not None:
        return len(campaign.at)
    if campaign.per_day is not None:
        return campaign.per_day
    if campaign.frequency is not None:
        count = 0
        for step in campaign.frequency:
            if step.from_ <= day:
                count = step.per_day
            else:
                break
        return count
    if campaign.ramp is not None:
        ramp = campaign.ramp
        every = max(ramp.every // timedelta(days=1), 1)
        periods = (day - campaign.from_).days // every
        count = max(ramp.start + ramp.step * periods, 0)
        return min(count, ramp.max) if ramp.max is not None else count
    return 0


def per_day(campaign: Campaign, day: date, level: int = NORMAL_LEVEL) -> int:
    """Airings requested on ``day`` at alert ``level``.

    The override of the highest level at or below ``level`` applies; it never lowers the count.
    """
    base = base_per_day(campaign, day)
    if base == 0 and not campaign.active_on(day):
        return 0
    override = [k for k in campaign.levels if k <= level]
    if not override:
        return base
    return max(base, campaign.levels[max(override)].per_day)


def requested_before(campaign: Campaign, day: date) -> int:
    """Airings requested at the normal level from the campaign's start up to ``day`` (excluded).

    Rotation continues from here, so the clip of an airing does not depend on which period is
    planned.
    """
    total = 0
    current = campaign.from_
    while current < day:
        total += base_per_day(campaign, current)
        current += timedelta(days=1)
    return total
