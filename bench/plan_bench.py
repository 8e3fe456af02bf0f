"""Planner throughput: one station for a year, and 700 generated stations for a month.

Prints a table; the baseline is planning one day, measured in the same run, so the ratios say
how the cost grows with the period and the number of stations.

    .venv/bin/python bench/plan_bench.py
"""

from __future__ import annotations

import time as clock
from datetime import date, datetime, time, timedelta
from pathlib import Path

from playout.planning import plan
from playout.schedule.model import Campaign, Playlist, Rotation, Schedule
from playout.station_folder import load_station

REPO = Path(__file__).resolve().parent.parent


def timed(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        started = clock.perf_counter()
        fn()
        best = min(best, clock.perf_counter() - started)
    return best


def _shift(t: time, minutes: int) -> time:
    return (datetime.combine(date(2020, 1, 1), t) + timedelta(minutes=minutes)).time()


def generated_station(i: int, base: Schedule) -> Schedule:
    """A variant of the sample: shifted sessions, a third campaign, a shuffled playlist."""
    m = (i * 7) % 25
    sessions = {
        k: v.model_copy(update={"start": _shift(v.start, m), "end": _shift(v.end, m)})
        for k, v in base.sessions.items()
    }
    extra = Campaign.model_validate(
        {
            "id": "local-news",
            "clip": "station/nhac-hieu.wav",
            "from": "01/08/2020",
            "per_day": 1 + i % 4,
            "min_gap": f"{5 + i % 20}m",
        }
    )
    playlists = dict(base.playlists)
    bz = playlists["bluezone"]
    playlists["bluezone"] = Playlist(bz.id, bz.title, Rotation.SHUFFLE, bz.clips)
    return Schedule(
        station=base.station.model_copy(update={"id": f"province/station-{i:03d}"}),
        sessions=sessions,
        blackouts=base.blackouts,
        campaigns=(*base.campaigns, extra),
        playlists=playlists,
    )


def main() -> None:
    loaded = load_station(REPO, capacity=False)
    assert loaded.schedule is not None, [p.format() for p in loaded.problems]
    sample, durations = loaded.schedule, loaded.durations
    first = date(2020, 8, 1)
    rows = []
    day = timed(lambda: plan(sample, first, first, durations=durations), repeat=20)
    rows.append(("1 station, 1 day (baseline)", day, 1))
    month = timed(lambda: plan(sample, first, first + timedelta(days=30), durations=durations))
    rows.append(("1 station, 31 days", month, 31))
    year_plan = plan(sample, first, first + timedelta(days=364), durations=durations)
    year = timed(lambda: plan(sample, first, first + timedelta(days=364), durations=durations))
    rows.append(("1 station, 365 days", year, 365))
    stations = [generated_station(i, sample) for i in range(700)]

    def all_stations() -> None:
        for s in stations:
            plan(s, first, first + timedelta(days=30), durations=durations)

    many = timed(all_stations, repeat=1)
    rows.append(("700 stations, 31 days", many, 700 * 31))
    print(f"{'case':32} {'seconds':>9} {'station-days':>13} {'x baseline':>11} {'ms/day':>8}")
    for name, seconds, days in rows:
        print(
            f"{name:32} {seconds:9.4f} {days:13d} {seconds / day:11.1f} "
            f"{seconds / days * 1000:8.3f}"
        )
    print(f"\nairings in the station-year: {len(year_plan.airings)}")
    verdict = "OK" if year <= 0.5 else "OVER"
    print(f"target: a station-year in <= 0.5 s -> {year:.3f} s ({verdict})")


if __name__ == "__main__":
    main()
