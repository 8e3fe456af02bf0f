"""The daemon's decisions in simulated time (``tests/sim_daemon.py``): the real daemon, planner,
engine, commands and as-run log on SQLite, on a clock the test moves and timers that fire when
it says so. Clock steps, freezes, level changes, reloads, pauses and the day's rollover are
decided in milliseconds; the real-time libvlc scenarios of each fault stay in
tests/test_faults_e2e.py and tests/test_daemon_e2e.py.

Each scenario is a row: the station starts at a time, things happen at given times, and the
as-run log at the end is (airing id, status, trigger, actual start) per airing, in planned
order, station time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from playout.daemon.commands import Commands
from playout.schedule import Schedule
from playout.schedule.model import Campaign
from tests.helpers import make_audio
from tests.sim_daemon import SimStation, sim_station
from tests.test_engine import DAY, DUR, TZ_OFFSET, at, sample_schedule

Row = tuple[str, str, str, str]  # airing id, status, trigger, actual start (HH:MM:SS)


def schedule_with(**campaign: object) -> Schedule:
    """The engine tests' station (4 airings a day, morning 05:30-06:30, afternoon 16:30-17:30)
    with its campaign changed."""
    fields = {"id": "c", "playlist": "p", "from": "01/08/2020", "per_day": 4, "make_good": True}
    return replace(sample_schedule(), campaigns=(Campaign.model_validate(fields | campaign),))


def step(minutes: float) -> Callable[[SimStation], None]:
    return lambda st: st.step_clock(timedelta(minutes=minutes))


def freeze(seconds: float) -> Callable[[SimStation], None]:
    return lambda st: st.freeze(seconds)


def level(n: int, until: str) -> Callable[[SimStation], None]:
    def run(st: SimStation) -> None:
        st.daemon.horizon.set_level(n, at(until), "dịch", "op")

    return run


def pause(until: str) -> Callable[[SimStation], None]:
    def run(st: SimStation) -> None:
        Commands(st.daemon).pause(at(until), "op")

    return run


def reload() -> Callable[[SimStation], None]:
    def run(st: SimStation) -> None:
        done = st.daemon.horizon.reload("a schedule file changed")
        assert done["ok"], done

    return run


@dataclass(frozen=True)
class Scenario:
    start: str
    events: tuple[tuple[str, Callable[[SimStation], None]], ...]
    until: str
    log: tuple[Row, ...]
    schedule: Callable[[], Schedule] = sample_schedule
    reloaded: Callable[[], Schedule] | None = None


ON_TIME = (
    ("20200805-c-01", "completed", "schedule", "05:45:00"),
    ("20200805-c-02", "completed", "schedule", "06:15:00"),
)

SCENARIOS = {
    "a morning on time": Scenario("05:25:00", (), "06:35:00", ON_TIME),
    # an airing the step jumped over airs once, as a make-good, when the step is seen
    "the clock steps forward 20 min over an airing": Scenario(
        "05:25:00",
        (("05:40:00", step(20)),),
        "06:35:00",
        (("20200805-c-01", "completed", "make-good", "06:00:01"), ON_TIME[1]),
    ),
    # the 10 minutes lived again do not air the airing of 05:45 again
    "the clock steps back 10 min after an airing": Scenario(
        "05:25:00", (("05:50:00", step(-10)),), "06:35:00", ON_TIME
    ),
    "the clock steps back 10 min before an airing": Scenario(
        "05:25:00", (("05:40:00", step(-10)),), "06:35:00", ON_TIME
    ),
    # frozen over the airing's time: made good once the daemon runs again
    "the daemon is frozen 3 min over an airing": Scenario(
        "05:25:00",
        (("05:44:00", freeze(180)),),
        "06:35:00",
        (("20200805-c-01", "completed", "make-good", "05:47:01"), ON_TIME[1]),
    ),
    "a freeze shorter than the lead changes nothing": Scenario(
        "05:25:00", (("05:44:00", freeze(1.5)),), "06:35:00", ON_TIME
    ),
    # level 2 (8 a day) until 05:50: its first airing airs at 05:37:30; back at level 1 the
    # plan of 4 a day goes on (its first airing id has aired: not again)
    "a raised level that expires by itself": Scenario(
        "05:25:00",
        (("05:30:00", level(2, "05:50:00")),),
        "06:35:00",
        (("20200805-c-01", "completed", "schedule", "05:37:30"), ON_TIME[1]),
        schedule=lambda: schedule_with(levels={2: {"per_day": 8}}),
    ),
    # a schedule edited to 6 a day at 05:50: what aired stays, the new plan airs from now on
    "a reload to 6 airings a day": Scenario(
        "05:25:00",
        (("05:50:00", reload()),),
        "06:35:00",
        (
            ON_TIME[0],
            ("20200805-c-02", "completed", "schedule", "06:00:00"),
            ("20200805-c-03", "completed", "schedule", "06:20:00"),
        ),
        reloaded=lambda: schedule_with(per_day=6),
    ),
    "a pause for a live relay": Scenario(
        "05:25:00",
        (("05:40:00", pause("05:50:00")),),
        "06:35:00",
        (("20200805-c-01", "skipped", "schedule", "05:44:58"), ON_TIME[1]),
    ),
    # started on the evening before: tomorrow was planned ahead and airs at its times
    "the day rolls over": Scenario(
        "23:50:00",
        (),
        "23:50:00+7h",
        (
            ("20200806-c-01", "completed", "schedule", "05:45:00"),
            ("20200806-c-02", "completed", "schedule", "06:15:00"),
        ),
    ),
}


def when(text: str) -> datetime:
    """ "HH:MM:SS" on the engine tests' day (station time), or "HH:MM:SS+Nh" later."""
    base, _, later = text.partition("+")
    return at(base) + timedelta(hours=float(later.rstrip("h") or 0))


def local(instant: datetime | None) -> str:
    return "" if instant is None else (instant + TZ_OFFSET).strftime("%H:%M:%S")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    make_audio(tmp_path / "audio" / "spot.wav", "sine=frequency=440:sample_rate=44100", 2)
    return tmp_path


@pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_the_daemon_decides_in_simulated_time(folder: Path, scenario: Scenario) -> None:
    reloaded = scenario.reloaded
    loader = (lambda: (reloaded(), DUR, {})) if reloaded is not None else None
    with sim_station(folder, scenario.schedule(), DUR, when(scenario.start), loader=loader) as st:
        for moment, action in scenario.events:
            st.run_until(when(moment))
            action(st)
        st.run_until(when(scenario.until))
        rows = st.airings()
    got = tuple((r.airing_id, r.status, r.trigger, local(r.actual_start)) for r in rows)
    assert got == scenario.log
    assert len({r.airing_id for r in rows}) == len(rows)  # never an airing twice


def test_plans_follow_the_level_and_the_days(folder: Path) -> None:
    """Each change of the plan in force is stored once, with its level: raised, then back when
    the raised level expires (a timer); the days ahead are planned once, before they start."""
    schedule = schedule_with(levels={2: {"per_day": 8}})
    with sim_station(folder, schedule, DUR, at("23:30:00") - timedelta(days=1)) as st:
        st.run_until(at("05:30:00"))
        st.daemon.horizon.set_level(2, at("05:50:00"), "dịch", "op")
        st.run_until(at("23:30:00"))
        today = [(p.version, p.level, p.reason) for p in st.plans(DAY)]
        ahead = {d: len(st.plans(d)) for d in (DAY + timedelta(days=n) for n in (1, 2))}
        assert st.daemon.horizon.level == 1 and st.daemon.horizon.level_until is None
    assert today == [(1, 1, "planned ahead"), (2, 2, "level 2"), (3, 1, "level 1")]
    # tomorrow: planned ahead, then again at each level; the day after: from 23:00, once
    assert ahead == {date(2020, 8, 6): 3, date(2020, 8, 7): 1}
