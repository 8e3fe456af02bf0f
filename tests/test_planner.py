"""The planner: table-driven cases, property tests for its invariants, time zones."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playout.planning import Placement, Plan, per_day, plan
from playout.schedule.model import (
    Blackout,
    Campaign,
    Playlist,
    PlaylistClip,
    Rotation,
    Schedule,
    Session,
    Station,
)

D = date(2020, 8, 5)  # a Wednesday


def schedule(
    sessions: dict[str, dict[str, Any]],
    campaigns: list[dict[str, Any]],
    blackouts: list[dict[str, Any]] = (),  # type: ignore[assignment]
    playlists: dict[str, list[str]] | None = None,
    rotation: str = "in_order",
    tz: str = "Asia/Ho_Chi_Minh",
    weights: list[int] | None = None,
) -> Schedule:
    playlists = playlists or {"p": ["a.wav", "b.wav", "c.wav"]}
    return Schedule(
        station=Station(id="test/station", name="Test", timezone=tz),
        sessions={k: Session.model_validate(v) for k, v in sessions.items()},
        blackouts=tuple(Blackout.model_validate(b) for b in blackouts),
        campaigns=tuple(Campaign.model_validate({"playlist": "p", **c}) for c in campaigns),
        playlists={
            pid: Playlist(
                pid,
                pid,
                Rotation(rotation),
                tuple(
                    PlaylistClip(file=f, weight=(weights[i] if weights else 1))
                    for i, f in enumerate(files)
                ),
            )
            for pid, files in playlists.items()
        },
    )


DUR = {"a.wav": 30_000, "b.wav": 45_000, "c.wav": 60_000, "x.wav": 10_000}


def times(p: Plan, campaign: str | None = None) -> list[str]:
    return [
        a.start.strftime("%H:%M:%S")
        for a in p.airings
        if campaign is None or a.campaign == campaign
    ]


MORNING = {"morning": {"start": "05:30", "end": "06:30"}}
TWO = {
    "morning": {"start": "05:30", "end": "06:30"},
    "afternoon": {"start": "16:30", "end": "17:30"},
}


# --------------------------------------------------------------------------- table-driven

CASES: list[tuple[str, dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[str]]] = [
    (
        "one airing sits in the middle of the session",
        MORNING,
        [{"id": "c", "from": D, "per_day": 1}],
        [],
        ["06:00:00"],
    ),
    (
        "per_day is spread evenly over the session",
        MORNING,
        [{"id": "c", "from": D, "per_day": 3}],
        [],
        ["05:40:00", "06:00:00", "06:20:00"],
    ),
    (
        "per_day is shared between sessions, the first gets the extra one",
        TWO,
        [{"id": "c", "from": D, "per_day": 3}],
        [],
        ["05:45:00", "06:15:00", "17:00:00"],
    ),
    (
        "spreading skips the blackout",
        MORNING,
        [{"id": "c", "from": D, "per_day": 1}],
        [{"start": "06:00", "end": "06:30"}],
        ["05:45:00"],
    ),
    (
        "an at time is kept exactly",
        TWO,
        [{"id": "c", "from": D, "at": ["05:45", "16:45"]}],
        [],
        ["05:45:00", "16:45:00"],
    ),
    (
        "an at time inside a blackout moves to the nearest free time",
        MORNING,
        [{"id": "c", "from": D, "at": ["06:05"]}],
        [{"start": "06:00", "end": "06:30"}],
        ["05:59:30"],  # 30 s clip ends exactly when the relay starts
    ),
    (
        "an at time outside every session goes to the next session",
        TWO,
        [{"id": "c", "from": D, "at": ["12:00"]}],
        [],
        ["16:30:00"],
    ),
    (
        "a lower priority moves away from a higher one",
        MORNING,
        [
            {"id": "low", "from": D, "at": ["06:00"], "priority": "low"},
            {"id": "high", "from": D, "at": ["06:00"], "priority": "high"},
        ],
        [],
        ["05:59:30", "06:00:00"],  # high keeps 06:00; low moves to the nearest free time
    ),
    (
        "a session that is full sends airings to a later session",
        {
            "morning": {"start": "05:30", "end": "05:31"},
            "afternoon": {"start": "16:30", "end": "17:30"},
        },
        [{"id": "c", "from": D, "per_day": 2, "sessions": ["morning"]}],
        [],
        ["05:30:15"],  # the campaign is limited to the morning: one fits, one is short
    ),
    (
        "min_gap separates airings of the same campaign",
        {"morning": {"start": "05:30", "end": "05:50"}},
        [{"id": "c", "from": D, "per_day": 3, "min_gap": "5m"}],
        [],
        ["05:33:20", "05:40:00", "05:46:40"],
    ),
    (
        "campaign weekdays are respected",
        MORNING,
        [{"id": "c", "from": D, "per_day": 1, "days": ["sat", "sun"]}],
        [],
        [],
    ),
    (
        "before the campaign starts nothing airs",
        MORNING,
        [{"id": "c", "from": D + timedelta(days=1), "per_day": 1}],
        [],
        [],
    ),
]


@pytest.mark.parametrize(
    ("sessions", "campaigns", "blackouts", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_placement(
    sessions: dict[str, Any],
    campaigns: list[dict[str, Any]],
    blackouts: list[dict[str, Any]],
    expected: list[str],
) -> None:
    result = plan(schedule(sessions, campaigns, blackouts), D, D, durations=DUR)
    assert times(result) == expected


def test_shortfall_has_a_reason_and_an_id() -> None:
    s = schedule(
        {"morning": {"start": "05:30", "end": "05:31"}},
        [{"id": "c", "from": D, "per_day": 2}],
    )
    result = plan(s, D, D, durations=DUR)
    assert [a.airing_id for a in result.airings] == ["20200805-c-01"]
    (short,) = result.shortfalls
    assert short.airing_id == "20200805-c-02"
    assert short.reason == "no room: morning: no free time left (blackouts and other airings)"
    (count,) = result.counts
    assert (count.requested, count.placed) == (2, 1)


def test_session_cap_limits_spot_airtime() -> None:
    s = schedule(
        {"morning": {"start": "05:30", "end": "06:30", "max_spots": "1m"}},
        [{"id": "c", "from": D, "per_day": 4}],
        playlists={"p": ["a.wav"]},
    )
    result = plan(s, D, D, durations=DUR)
    assert len(result.airings) == 2  # 2 x 30 s = the 1 min cap
    assert {sh.reason for sh in result.shortfalls} == {
        "no room: morning: the spot airtime cap (max_spots 1m) is full"
    }


def test_higher_priority_keeps_the_contested_time() -> None:
    s = schedule(
        MORNING,
        [
            {"id": "low", "from": D, "at": ["06:00"], "priority": "low"},
            {"id": "high", "from": D, "at": ["06:00"], "priority": "high"},
        ],
    )
    by_campaign = {a.campaign: a for a in plan(s, D, D, durations=DUR).airings}
    assert by_campaign["high"].placement is Placement.SLOT
    assert by_campaign["low"].placement is Placement.MOVED


def test_min_gap_pushes_airings_apart() -> None:
    s = schedule(
        {"morning": {"start": "05:30", "end": "05:50"}},
        [{"id": "c", "from": D, "at": ["05:35", "05:36"], "min_gap": "5m"}],
        playlists={"p": ["a.wav"]},
    )
    assert times(plan(s, D, D, durations=DUR)) == ["05:35:00", "05:40:30"]


def test_moved_at_airing_records_where_it_wanted_to_be() -> None:
    s = schedule(
        MORNING, [{"id": "c", "from": D, "at": ["06:05"]}], [{"start": "06:00", "end": "06:30"}]
    )
    (a,) = plan(s, D, D, durations=DUR).airings
    assert a.placement is Placement.MOVED
    assert a.wanted is not None and a.wanted.time() == time(6, 5)


@pytest.mark.parametrize(
    ("at", "ids"),
    [
        (["05:40", "06:00", "06:20"], ["0540", "0600", "0620"]),
        (["06:00", "06:20"], ["0600", "0620"]),  # an earlier time removed: none renamed
        (["05:35", "05:40", "06:00", "06:20"], ["0535", "0540", "0600", "0620"]),  # added
        (["06:20", "06:00"], ["0600", "0620"]),  # written in another order
        (["06:00:30", "06:20"], ["060030", "0620"]),  # seconds when the time has them
        (["06:00", "06:00"], ["0600", "0600-2"]),  # the same time twice
    ],
)
def test_at_airings_are_named_by_their_time_so_edits_rename_nothing(
    at: list[str], ids: list[str]
) -> None:
    s = schedule(MORNING, [{"id": "c", "from": D, "at": at}], playlists={"p": ["x.wav"]})
    got = sorted(a.airing_id for a in plan(s, D, D, durations=DUR).airings)
    assert got == [f"20200805-c-{x}" for x in ids]


def test_a_moved_at_airing_keeps_its_name_and_slot() -> None:
    s = schedule(
        MORNING, [{"id": "c", "from": D, "at": ["06:05"]}], [{"start": "06:00", "end": "06:30"}]
    )
    (a,) = plan(s, D, D, durations=DUR).airings
    assert a.airing_id == "20200805-c-0605"
    assert a.slot == ("c", int(a.wanted.timestamp() * 1000))  # type: ignore[union-attr]


# --------------------------------------------------------------------------- frequency


def test_frequency_steps_ramps_and_levels() -> None:
    stepped = Campaign.model_validate(
        {
            "id": "c",
            "playlist": "p",
            "from": "05/08/2020",
            "until": "31/08/2020",
            "frequency": [
                {"from": "05/08/2020", "per_day": 2},
                {"from": "15/08/2020", "per_day": 3},
                {"from": "23/08/2020", "per_day": 5},
            ],
            "levels": {2: {"per_day": 6}, 3: {"per_day": 10}},
        }
    )
    table = [
        (date(2020, 8, 4), 1, 0),
        (date(2020, 8, 5), 1, 2),
        (date(2020, 8, 14), 1, 2),
        (date(2020, 8, 15), 1, 3),
        (date(2020, 8, 23), 1, 5),
        (date(2020, 8, 31), 1, 5),
        (date(2020, 9, 1), 1, 0),
        (date(2020, 8, 5), 2, 6),
        (date(2020, 8, 5), 3, 10),
        (date(2020, 8, 5), 4, 10),
    ]
    for day, level, expected in table:
        assert per_day(stepped, day, level) == expected, (day, level)
    ramp = Campaign.model_validate(
        {
            "id": "r",
            "playlist": "p",
            "from": "03/08/2020",
            "ramp": {"start": 2, "step": 1, "every": "7d", "max": 4},
        }
    )
    got = [per_day(ramp, date(2020, 8, 3) + timedelta(days=d)) for d in (0, 6, 7, 14, 21, 60)]
    assert got == [2, 2, 3, 4, 4, 4]


# --------------------------------------------------------------------------- rotation


def clips_over(s: Schedule, days: int) -> list[str]:
    result = plan(s, D, D + timedelta(days=days - 1), durations=DUR)
    return [a.clip for a in result.airings]


def test_in_order_rotation_continues_across_days_and_periods() -> None:
    s = schedule(MORNING, [{"id": "c", "from": D, "per_day": 2}])
    assert clips_over(s, 3) == ["a.wav", "b.wav", "c.wav", "a.wav", "b.wav", "c.wav"]
    # planning the third day alone gives the same clips as planning all three
    third = plan(s, D + timedelta(days=2), D + timedelta(days=2), durations=DUR)
    assert [a.clip for a in third.airings] == ["b.wav", "c.wav"]


def test_shuffle_never_repeats_a_clip_immediately() -> None:
    s = schedule(MORNING, [{"id": "c", "from": D, "per_day": 3}], rotation="shuffle")
    clips = clips_over(s, 40)
    assert all(x != y for x, y in itertools.pairwise(clips))
    assert Counter(clips) == {"a.wav": 40, "b.wav": 40, "c.wav": 40}
    assert clips != ["a.wav", "b.wav", "c.wav"] * 40


def test_weighted_rotation_follows_the_weights() -> None:
    s = schedule(
        MORNING, [{"id": "c", "from": D, "per_day": 3}], rotation="weighted", weights=[3, 2, 1]
    )
    clips = clips_over(s, 20)  # 60 airings = 10 cycles of 6
    assert Counter(clips) == {"a.wav": 30, "b.wav": 20, "c.wav": 10}


# --------------------------------------------------------------------------- time zones


def test_times_are_aware_and_local() -> None:
    result = plan(schedule(MORNING, [{"id": "c", "from": D, "per_day": 1}]), D, D, durations=DUR)
    (a,) = result.airings
    assert a.start.utcoffset() == timedelta(hours=7)
    assert a.start.isoformat() == "2020-08-05T06:00:00+07:00"


@pytest.mark.parametrize(
    ("day", "zone"),
    [
        (date(2020, 3, 8), "America/New_York"),  # spring forward 02:00 -> 03:00
        (date(2020, 11, 1), "America/New_York"),  # fall back 02:00 -> 01:00
        (date(2020, 3, 29), "Europe/Berlin"),
        (date(2020, 10, 25), "Europe/Berlin"),
    ],
)
def test_daylight_saving_nights_neither_repeat_nor_lose_airings(day: date, zone: str) -> None:
    s = schedule(
        {"night": {"start": "00:30", "end": "04:00"}, "day": {"start": "09:00", "end": "10:00"}},
        [
            {"id": "c", "from": day - timedelta(days=1), "per_day": 6},
            {"id": "h", "from": day - timedelta(days=1), "at": ["01:30", "02:30", "03:30"]},
        ],
        tz=zone,
    )
    result = plan(s, day - timedelta(days=1), day + timedelta(days=1), durations=DUR)
    starts = [a.start for a in result.airings]
    assert len(starts) == len({x.timestamp() for x in starts})  # no instant twice
    assert sum(c.requested for c in result.counts) == len(result.airings) + len(result.shortfalls)
    assert not result.shortfalls
    for a in result.airings:
        assert a.start.tzinfo is not None and a.end > a.start
        assert a.start.astimezone(s.station.tz).date() == a.day


# --------------------------------------------------------------------------- properties

hhmm = st.integers(min_value=0, max_value=23 * 60 + 59)


@st.composite
def random_schedules(draw: st.DrawFn) -> Schedule:
    n_sessions = draw(st.integers(1, 3))
    bounds = sorted(
        draw(st.lists(hhmm, min_size=2 * n_sessions, max_size=2 * n_sessions, unique=True))
    )
    sessions = {}
    for i in range(n_sessions):
        a, b = bounds[2 * i], bounds[2 * i + 1]
        sessions[f"s{i}"] = {
            "start": f"{a // 60:02d}:{a % 60:02d}",
            "end": f"{b // 60:02d}:{b % 60:02d}",
        }
        if draw(st.booleans()):
            sessions[f"s{i}"]["max_spots"] = f"{draw(st.integers(1, 10))}m"
    blackouts = []
    for _ in range(draw(st.integers(0, 2))):
        a = draw(hhmm)
        b = min(a + draw(st.integers(1, 90)), 23 * 60 + 59)
        if b > a:
            blackouts.append(
                {"start": f"{a // 60:02d}:{a % 60:02d}", "end": f"{b // 60:02d}:{b % 60:02d}"}
            )
    campaigns = []
    for i in range(draw(st.integers(1, 4))):
        c: dict[str, Any] = {
            "id": f"c{i}",
            "from": D,
            "priority": draw(st.sampled_from(["low", "normal", "high"])),
            "min_gap": f"{draw(st.integers(0, 30))}m",
        }
        if draw(st.booleans()):
            slots = draw(st.lists(hhmm, min_size=1, max_size=4, unique=True))
            c["at"] = [f"{t // 60:02d}:{t % 60:02d}" for t in slots]
        else:
            c["per_day"] = draw(st.integers(0, 12))
        campaigns.append(c)
    return schedule(sessions, campaigns, blackouts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_schedules(), st.integers(0, 3))
def test_invariants(s: Schedule, extra_days: int) -> None:
    last = D + timedelta(days=extra_days)
    result = plan(s, D, last, durations=DUR)
    tz = s.station.tz
    by_day: dict[date, list[Any]] = {}
    for a in result.airings:
        by_day.setdefault(a.day, []).append(a)
        # inside an active session
        sess = s.sessions[a.session]
        local_start, local_end = a.start.astimezone(tz), a.end.astimezone(tz)
        assert sess.start <= local_start.time() and local_end.time() <= sess.end
        assert local_end.date() == a.day or local_end.time() == time(0)
        # overlaps no blackout
        for bo in s.blackouts:
            b0 = datetime.combine(a.day, bo.start, tzinfo=tz)
            b1 = datetime.combine(a.day, bo.end, tzinfo=tz)
            assert a.end <= b0 or a.start >= b1
    for _day, airings in by_day.items():
        airings.sort(key=lambda x: x.start)
        for x, y in itertools.pairwise(airings):
            assert x.end <= y.start  # no overlap
        for c in s.campaigns:
            mine = [a for a in airings if a.campaign == c.id]
            for x, y in itertools.pairwise(mine):
                assert y.start - x.end >= c.min_gap
        for name, sess in s.sessions.items():
            if sess.max_spots is not None:
                used = sum(a.duration_ms for a in airings if a.session == name)
                assert used <= sess.max_spots.total_seconds() * 1000
    # placed + shortfall = requested, per day and campaign
    placed = Counter((a.day, a.campaign) for a in result.airings)
    short = Counter((x.day, x.campaign) for x in result.shortfalls)
    for count in result.counts:
        key = (count.day, count.campaign)
        assert placed[key] == count.placed
        assert placed[key] + short[key] == count.requested
    # ids are unique and every shortfall has a reason
    ids = [a.airing_id for a in result.airings] + [x.airing_id for x in result.shortfalls]
    assert len(ids) == len(set(ids))
    assert all(x.reason for x in result.shortfalls)
    # deterministic, byte for byte
    again = plan(s, D, last, durations=DUR)
    assert json.dumps(again.as_dict()) == json.dumps(result.as_dict())


@pytest.mark.parametrize("at_times", [0, 700])
@pytest.mark.parametrize("level", [1, 2])
def test_capacity_counts_match_the_full_planner(at_times: int, level: int) -> None:
    """day_counts reuses placed prefixes across days; it must count what plan() places."""
    import re
    import shutil
    import tempfile
    from pathlib import Path

    from playout.planning.daycounts import day_counts
    from playout.station_folder import load_station
    from tests.helpers import REPO

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for part in ("schedules", "playlists", "audio"):
            shutil.copytree(REPO / part, root / part)
        if at_times:
            path = root / "schedules" / "tan-an.yaml"
            times = ", ".join(
                f'"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"'
                for s in range(0, 86400, 86400 // at_times)
            )
            text = re.sub(r"at: \[[^\]]*\]", f"at: [{times}]", path.read_text(), count=1)
            path.write_text(text)
        loaded = load_station(root, capacity=False)
    schedule = loaded.schedule
    assert schedule is not None
    first = min(c.from_ for c in schedule.campaigns)
    last = first + timedelta(days=45)
    full = plan(schedule, first, last, durations=loaded.durations, level=level)
    counts, reasons = day_counts(schedule, first, last, durations=loaded.durations, level=level)
    assert sorted((c.day, c.campaign, c.requested, c.placed) for c in full.counts) == sorted(
        (c.day, c.campaign, c.requested, c.placed) for c in counts
    )
    short = {(s.day, s.campaign) for s in full.shortfalls}
    assert set(reasons) == short
