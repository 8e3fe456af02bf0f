"""A station's state on the dashboard, judged from what the hub knows: a pure function of the
station's last contact, today's figures, its sessions and the time (passed in, never read), so it
is tested with tables of cases like the planner.

- red: no contact for longer than ``silent_after`` while a broadcast session was on, or an
  airing missed (or failed) today;
- amber: fewer airings aired than were due by now, or contact today but no plan for today;
- green: on track (or resting: silent outside its sessions);
- grey: the station never connected.

A session is known from the station's plan: the span from its first planned airing to the end of
its last. Without a plan for today the station's newest earlier plan stands in for it, moved to
today (stations air the same sessions every day). An airing is *due* once it ended more than
``silent_after`` ago (a station in contact has sent it by then) and after the station's daemon
first ran (what was planned before it existed was never due); announcements are counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

ANNOUNCEMENT = "announcement"  # the campaign of `playout announce` airings


class State(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    GREY = "grey"


SEVERITY = {State.RED: 0, State.AMBER: 1, State.GREY: 2, State.GREEN: 3}


@dataclass(frozen=True)
class Span:
    session: str
    start: datetime
    end: datetime


@dataclass
class Tally:
    """One campaign's airings today."""

    planned: int = 0
    aired: int = 0  # completed, or on air now
    missed: int = 0  # missed or failed
    other: int = 0  # interrupted or skipped


@dataclass
class Today:
    has_plan: bool = False  # a plan for today (not one of an earlier day standing in)
    due: int = 0  # planned airings that ended more than silent_after ago
    spans: list[Span] = field(default_factory=list)
    campaigns: dict[str, Tally] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # the station's own campaigns' titles

    def _planned_campaigns(self) -> list[Tally]:
        """Announcements (the daemon's campaign "announcement") are counted apart: they are
        never due, so they never make up for a campaign airing."""
        return [t for c, t in self.campaigns.items() if c != ANNOUNCEMENT]

    @property
    def aired(self) -> int:
        return sum(t.aired for t in self._planned_campaigns())

    @property
    def missed(self) -> int:
        return sum(t.missed for t in self._planned_campaigns())

    @property
    def planned(self) -> int:
        return sum(t.planned for t in self._planned_campaigns())

    @property
    def announcements(self) -> int:
        t = self.campaigns.get(ANNOUNCEMENT)
        return t.aired if t is not None else 0


@dataclass(frozen=True)
class Verdict:
    state: State
    reason: str  # a key of the dashboard's words
    params: dict[str, object] = field(default_factory=dict)


def judge(
    last_contact: datetime | None, today: Today, now: datetime, silent_after: timedelta
) -> Verdict:
    if last_contact is None:
        return Verdict(State.GREY, "never_connected")
    silent_from = last_contact + silent_after
    if silent_from < now:
        for span in today.spans:
            if span.start < now and span.end > silent_from:  # silence overlaps the session
                return Verdict(
                    State.RED,
                    "silent",
                    {"since": last_contact, "session": span.session},
                )
    if today.missed:
        return Verdict(State.RED, "missed", {"count": today.missed})
    if today.aired < today.due:
        return Verdict(State.AMBER, "behind", {"aired": today.aired, "due": today.due})
    if silent_from < now:
        return Verdict(State.GREEN, "resting", {"since": last_contact})
    if not today.has_plan:  # in contact, but its daemon has not planned today
        return Verdict(State.AMBER, "no_plan")
    return Verdict(State.GREEN, "on_track")
