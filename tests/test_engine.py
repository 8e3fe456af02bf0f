"""The daemon's logic on simulated time: fake player, FixedClock, real SQLite as-run log."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from playout.clock import FixedClock
from playout.daemon.asrun import AsRunLog
from playout.daemon.engine import Engine, Item
from playout.daemon.recovery import OFF_AIR, STOPPED_DURING, recover
from playout.planning import Airing, Placement, plan
from playout.player.fake import FakePlayer
from playout.schedule.model import (
    AudioSettings,
    Campaign,
    Playlist,
    PlaylistClip,
    Priority,
    Rotation,
    Schedule,
    Session,
    Station,
)
from playout.store import Database, Status, Trigger, open_database
from tests.helpers import make_audio

DAY = date(2020, 8, 5)
TZ_OFFSET = timedelta(hours=7)


def at(hhmmss: str) -> datetime:
    h, m, s = (int(x) for x in hhmmss.split(":"))
    return datetime(2020, 8, 5, h, m, s, tzinfo=UTC) - TZ_OFFSET


@pytest.fixture
def library(tmp_path: Path) -> Path:
    lib = tmp_path / "audio"
    make_audio(lib / "spot.wav", "sine=frequency=440:sample_rate=44100", 2)
    make_audio(lib / "fallback.wav", "sine=frequency=880:sample_rate=44100", 1)
    data = (lib / "spot.wav").read_bytes()
    (lib / "truncated.wav").write_bytes(data[: len(data) // 4])
    (lib / "empty.wav").write_bytes(b"")
    return lib


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "playout.db")
    yield database
    database.close()


def airing_at(airing_id: str, start: datetime, clip: str = "spot.wav", ms: int = 2000) -> Airing:
    return Airing(
        start=start,
        end=start + timedelta(milliseconds=ms),
        campaign="c",
        airing_id=airing_id,
        day=(start + TZ_OFFSET).date(),
        session="morning",
        clip=clip,
        duration_ms=ms,
        priority=Priority.NORMAL,
        placement=Placement.SLOT,
    )


def airing(n: int, start: str, clip: str = "spot.wav", ms: int = 2000) -> Airing:
    return airing_at(f"20200805-c-{n:02d}", at(start), clip, ms)


def make_engine(
    db: Database, library: Path, clock: FixedClock, fallback: str | None = "fallback.wav"
) -> tuple[Engine, FakePlayer, AsRunLog]:
    player = FakePlayer(clock)
    asrun = AsRunLog(db, "test/station")
    engine = Engine(
        log=asrun,
        player=player,
        clock=clock,
        library=library,
        audio=AudioSettings(),
        run_id=None,
        fallback_clip=fallback,
        durations={"fallback.wav": 1000},
    )
    return engine, player, asrun


def test_airs_on_time_and_logs_it(db: Database, library: Path) -> None:
    clock = FixedClock(at("05:59:58"))
    engine, player, asrun = make_engine(db, library, clock)
    assert engine.air(Item(at("06:00:00"), 0, airing(1, "06:00:00"))) is Status.COMPLETED
    (row,) = asrun.rows(DAY, DAY)
    assert (row.status, row.trigger, row.played_ms) == ("completed", "schedule", 2000)
    assert row.actual_start == at("06:00:00")
    assert row.actual_end == at("06:00:02") - timedelta(milliseconds=5)
    assert player.calls == [("cue", "spot.wav"), ("play", "spot.wav"), ("ended", "spot.wav")]


def test_an_airing_is_never_aired_twice(db: Database, library: Path) -> None:
    clock = FixedClock(at("05:59:58"))
    engine, player, asrun = make_engine(db, library, clock)
    engine.air(Item(at("06:00:00"), 0, airing(1, "06:00:00")))
    calls = len(player.calls)
    # a restarted daemon is handed the same airing again
    clock.set(at("06:00:01"))
    assert engine.air(Item(at("06:00:00"), 0, airing(1, "06:00:00"))) is None
    assert len(player.calls) == calls
    assert len(asrun.rows(DAY, DAY)) == 1


def test_late_airing_starts_late_within_grace_and_is_missed_after(
    db: Database, library: Path
) -> None:
    clock = FixedClock(at("06:01:00"))
    engine, _, asrun = make_engine(db, library, clock)
    assert engine.air(Item(at("06:00:00"), 0, airing(1, "06:00:00"))) is Status.COMPLETED
    clock.set(at("06:30:00"))
    assert engine.air(Item(at("06:10:00"), 0, airing(2, "06:10:00"))) is Status.MISSED
    late, missed = asrun.rows(DAY, DAY)
    assert late.reason.startswith("started 60.1 s late") or late.reason.startswith("started 60")
    assert missed.status == "missed" and missed.reason.startswith("late by 20 min")


@pytest.mark.parametrize(
    ("clip", "reason"),
    [
        ("missing.wav", 'the clip "missing.wav" does not exist'),
        ("empty.wav", "the clip file is empty"),
        ("truncated.wav", "ended early: played 0.5 s of 2.0 s"),
        ("../escape.wav", "leads outside the audio library"),
    ],
)
def test_broken_clip_is_logged_failed_and_the_fallback_plays(
    db: Database, library: Path, clip: str, reason: str
) -> None:
    clock = FixedClock(at("05:59:58"))
    engine, _, asrun = make_engine(db, library, clock)
    assert engine.air(Item(at("06:00:00"), 0, airing(1, "06:00:00", clip))) is Status.FAILED
    failed, fallback = asrun.rows(DAY, DAY)
    assert failed.status == "failed" and reason in failed.reason
    assert (fallback.airing_id, fallback.trigger, fallback.status) == (
        "20200805-c-01-fallback",
        "fallback",
        "completed",
    )
    assert fallback.clip == "fallback.wav"
    # the next airing is still on time
    clock.set(at("06:00:08"))
    engine.air(Item(at("06:00:10"), 0, airing(2, "06:00:10")))
    assert asrun.rows(DAY, DAY)[-1].actual_start == at("06:00:10")


def test_shutdown_before_the_start_logs_nothing(db: Database, library: Path) -> None:
    clock = FixedClock(at("05:59:58"))
    engine, _, asrun = make_engine(db, library, clock)
    engine.shutdown.set()
    assert engine.air(Item(at("06:00:00"), 0, airing(1, "06:00:00"))) is None
    assert asrun.rows(DAY, DAY) == []


# --------------------------------------------------------------------------- recovery


def sample_schedule(make_good: bool = True) -> Schedule:
    return Schedule(
        station=Station(id="test/station", name="Test"),
        sessions={
            "morning": Session.model_validate({"start": "05:30", "end": "06:30"}),
            "afternoon": Session.model_validate({"start": "16:30", "end": "17:30"}),
        },
        blackouts=(),
        campaigns=(
            Campaign.model_validate(
                {
                    "id": "c",
                    "playlist": "p",
                    "from": "01/08/2020",
                    "per_day": 4,
                    "make_good": make_good,
                }
            ),
        ),
        playlists={"p": Playlist("p", "p", Rotation.IN_ORDER, (PlaylistClip(file="spot.wav"),))},
    )


DUR = {"spot.wav": 2000}


def previous_run(asrun: AsRunLog, last_seen: datetime) -> object:
    run_id = asrun.begin_run(1, "host", last_seen - timedelta(hours=1), "fake")
    asrun.heartbeat(run_id, last_seen)
    return asrun.previous_run(before_id=run_id + 1)


def test_first_start_counts_nothing_before_it(db: Database) -> None:
    asrun = AsRunLog(db, "test/station")
    result = recover(
        asrun,
        sample_schedule(),
        DUR,
        at("17:00:00"),
        previous=None,
        late_grace=timedelta(minutes=5),
    )
    assert (result.missed, result.make_goods) == ([], [])
    assert asrun.rows(DAY, DAY) == []


def test_power_cut_closes_the_airing_on_air_with_what_played(db: Database) -> None:
    asrun = AsRunLog(db, "test/station")
    run_id = asrun.begin_run(1, "host", at("05:00:00"), "fake")
    a = airing(1, "06:00:00", ms=30_000)
    asrun.begin(
        a, trigger=Trigger.SCHEDULE, actual_start=at("06:00:00"), clip_sha256=None, run_id=run_id
    )
    asrun.heartbeat(run_id, at("06:00:12"))
    (closed,) = asrun.close_playing(STOPPED_DURING)
    assert closed.played_ms == 12_000
    (row,) = asrun.rows(DAY, DAY)
    assert (row.status, row.reason, row.played_ms) == ("interrupted", STOPPED_DURING, 12_000)


def test_off_air_airings_are_made_good_later_today_without_a_burst(db: Database) -> None:
    asrun = AsRunLog(db, "test/station")
    schedule = sample_schedule()
    prev = previous_run(asrun, at("05:00:00"))
    now = at("16:31:00")  # off air all morning: 2 morning airings passed
    result = recover(
        asrun,
        schedule,
        DUR,
        now,
        previous=prev,  # type: ignore[arg-type]
        late_grace=timedelta(minutes=5),
    )
    assert result.missed == []
    assert [a.airing_id for a in result.make_goods] == ["20200805-c-01", "20200805-c-02"]
    booked = [a for a in plan(schedule, DAY, DAY, durations=DUR).airings if a.start >= now]
    everything = sorted([*booked, *result.make_goods], key=lambda a: a.start)
    for x, y in itertools.pairwise(everything):
        assert x.end <= y.start
        assert y.start - x.end >= timedelta(minutes=10), "no burst of catch-up airings"
    for a in result.make_goods:
        assert a.session == "afternoon" and a.start >= now
        assert a.placement is Placement.MAKE_GOOD and a.wanted is not None


def test_off_air_airings_without_make_good_are_missed(db: Database) -> None:
    asrun = AsRunLog(db, "test/station")
    prev = previous_run(asrun, at("05:00:00"))
    result = recover(
        asrun,
        sample_schedule(make_good=False),
        DUR,
        at("16:31:00"),
        previous=prev,
        late_grace=timedelta(minutes=5),
    )  # type: ignore[arg-type]
    assert [a.airing_id for a in result.missed] == ["20200805-c-01", "20200805-c-02"]
    rows = asrun.rows(DAY, DAY)
    assert [(r.status, r.reason) for r in rows] == [("missed", OFF_AIR)] * 2
    # a second start finds them logged and does not log them again
    again = recover(
        asrun,
        sample_schedule(make_good=False),
        DUR,
        at("16:32:00"),
        previous=prev,
        late_grace=timedelta(minutes=5),
    )  # type: ignore[arg-type]
    assert again.missed == []


def test_a_day_off_air_is_missed_not_made_good(db: Database) -> None:
    asrun = AsRunLog(db, "test/station")
    prev = previous_run(asrun, at("05:00:00") - timedelta(days=1))
    result = recover(
        asrun,
        sample_schedule(),
        DUR,
        at("05:00:00"),
        previous=prev,  # type: ignore[arg-type]
        late_grace=timedelta(minutes=5),
    )
    assert len(result.missed) == 4  # yesterday's four
    assert all(a.day == DAY - timedelta(days=1) for a in result.missed)


def test_plans_are_stored_once_per_change(db: Database) -> None:
    asrun = AsRunLog(db, "test/station")
    schedule = sample_schedule()
    airings = plan(schedule, DAY, DAY, durations=DUR).airings
    assert asrun.store_plan(DAY, airings, 1, "start", at("05:00:00")) == 1
    assert asrun.store_plan(DAY, airings, 1, "start", at("05:10:00")) is None
    assert asrun.store_plan(DAY, airings[:2], 1, "reload", at("05:20:00")) == 2
    versions = asrun.plans(DAY, DAY)
    assert [(p.version, p.reason, p.effective_from) for p in versions] == [
        (1, "start", at("05:00:00")),
        (2, "reload", at("05:20:00")),
    ]
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_an_emergency_interrupts_the_airing_on_air_and_asks_for_a_make_good(
    db: Database, library: Path
) -> None:
    import threading
    import time

    from playout.clock import SystemClock

    clock = SystemClock()
    player = FakePlayer(clock)
    asrun = AsRunLog(db, "test/station")
    again: list[str] = []
    engine = Engine(
        log=asrun,
        player=player,
        clock=clock,
        library=library,
        audio=AudioSettings(),
        on_interrupted=lambda a: again.append(a.airing_id),
    )
    now = clock.now()
    a = airing_at("x-01", now)
    threading.Timer(
        0.3, engine.interrupt, args=["interrupted by an emergency announcement"]
    ).start()
    t0 = time.monotonic()
    assert engine.air(Item(now, 0, a)) is Status.INTERRUPTED
    assert time.monotonic() - t0 < 1.0
    (row,) = asrun.rows(a.day, a.day)
    assert (row.status, row.reason) == ("interrupted", "interrupted by an emergency announcement")
    assert again == ["x-01"]


def test_a_waiting_item_gives_way_to_an_announcement(db: Database, library: Path) -> None:
    import threading

    from playout.clock import SystemClock
    from playout.daemon.engine import Preempted

    clock = SystemClock()
    engine = Engine(
        log=AsRunLog(db, "test/station"),
        player=FakePlayer(clock),
        clock=clock,
        library=library,
        audio=AudioSettings(),
    )
    start = clock.now() + timedelta(seconds=5)
    a = airing_at("x-02", start)
    threading.Timer(0.2, engine.interrupt, args=["announcement"]).start()
    with pytest.raises(Preempted):
        engine.air(Item(start, 0, a))
    assert AsRunLog(db, "test/station").rows(a.day, a.day) == []


# --------------------------------------------------------------------------- approved audio


def test_a_clip_changed_since_import_is_refused_and_the_fallback_plays(
    db: Database, library: Path
) -> None:
    clock = FixedClock(at("05:59:58"))
    engine, player, asrun = make_engine(db, library, clock)
    engine.checksums = lambda clip: "0" * 64 if clip == "spot.wav" else None
    assert engine.air(Item(at("06:00:00"), 0, airing(1, "06:00:00"))) is Status.FAILED
    failed, fallback = asrun.rows(DAY, DAY)
    assert "changed since import" in failed.reason
    assert (fallback.trigger, fallback.status) == ("fallback", "completed")
    assert ("play", "spot.wav") not in player.calls


def test_unapproved_audio_airs_when_allowed_with_its_real_sha256(
    db: Database, library: Path
) -> None:
    clock = FixedClock(at("05:59:58"))
    engine, _, asrun = make_engine(db, library, clock)
    engine.audio = AudioSettings(allow_unapproved=True)
    engine.checksums = lambda clip: "0" * 64
    assert engine.air(Item(at("06:00:00"), 0, airing(1, "06:00:00"))) is Status.COMPLETED
    (row,) = asrun.rows(DAY, DAY)
    assert row.clip_sha256 == engine.fingerprints.sha256(library / "spot.wav")
    assert "unapproved audio" in row.reason


def test_a_withdrawn_item_is_dropped_while_it_waits(db: Database, library: Path) -> None:
    clock = FixedClock(at("05:59:50"))
    engine, player, asrun = make_engine(db, library, clock)
    asked = []

    def current(item: Item) -> bool:
        asked.append(clock.now())
        return clock.now() < at("05:59:55")  # a clock step re-derived the schedule meanwhile

    engine.current = current
    assert engine.air(Item(at("06:00:00"), 0, airing(1, "06:00:00"))) is None
    assert asrun.rows(DAY, DAY) == []
    assert ("play", "spot.wav") not in player.calls
    assert len(asked) > 5, "the wait is cut in pieces so a withdrawal is seen at once"


# --------------------------------------------------------------------------- interrupt races


def test_an_interrupt_as_the_wait_ends_makes_the_item_give_way(db: Database, library: Path) -> None:
    """``announce --now`` landing after the item's wait ended but before it went on air: the
    item gives way (it airs after the announcement), it does not play to its end."""
    from playout.daemon.engine import Preempted

    clock = FixedClock(at("05:59:59"))
    engine, player, asrun = make_engine(db, library, clock)
    a = airing(1, "06:00:00")
    sent: list[bool] = []

    def current(item: Item) -> bool:
        if clock.now() >= a.start - timedelta(milliseconds=5) and not sent:
            sent.append(True)
            engine.interrupt(reasons_emergency())  # the control thread, in the window
        return True

    engine.current = current
    with pytest.raises(Preempted):
        engine.air(Item(a.start, 0, a))
    assert ("play", "spot.wav") not in player.calls
    assert asrun.rows(DAY, DAY) == []


def test_an_interrupt_while_the_item_starts_stops_it_once_it_plays(
    db: Database, library: Path
) -> None:
    """``announce --now`` landing after the item went on air but before the player's play()
    began (which forgets an earlier stop()): the airing is stopped as soon as it plays."""
    clock = FixedClock(at("05:59:59"))
    engine, _player, asrun = make_engine(db, library, clock)
    again: list[str] = []
    engine.on_interrupted = lambda x: again.append(x.airing_id)

    class Racing(AsRunLog):
        def begin(self, *args: object, **kwargs: object) -> bool:
            started = super().begin(*args, **kwargs)  # type: ignore[arg-type]
            engine.interrupt(reasons_emergency())
            return started

    engine.log = Racing(db, "test/station")
    a = airing(1, "06:00:00")
    assert engine.air(Item(a.start, 0, a)) is Status.INTERRUPTED
    (row,) = asrun.rows(DAY, DAY)
    assert (row.status, row.reason) == ("interrupted", reasons_emergency())
    assert row.played_ms < 100
    assert again == [a.airing_id]
    assert engine.now_on_air() is None


def test_an_announcement_at_the_next_break_lets_the_airing_on_air_finish(
    db: Database, library: Path
) -> None:
    clock = FixedClock(at("05:59:59"))
    engine, _player, _asrun = make_engine(db, library, clock)

    class Preempting(AsRunLog):
        def begin(self, *args: object, **kwargs: object) -> bool:
            engine.preempt()  # on air already: it plays on
            return super().begin(*args, **kwargs)  # type: ignore[arg-type]

    engine.log = Preempting(db, "test/station")
    a = airing(1, "06:00:00")
    assert engine.air(Item(a.start, 0, a)) is Status.COMPLETED


def reasons_emergency() -> str:
    from playout import reasons

    return reasons.EMERGENCY.text()


def test_a_moved_at_airing_logs_its_wanted_time_and_where_it_was_placed(
    db: Database, library: Path
) -> None:
    from dataclasses import replace

    clock = FixedClock(at("05:59:58"))
    engine, _player, asrun = make_engine(db, library, clock)
    from zoneinfo import ZoneInfo

    engine.tz = ZoneInfo("Asia/Ho_Chi_Minh")
    a = replace(airing(1, "06:00:00"), placement=Placement.MOVED, wanted=at("05:59:50"))
    assert engine.air(Item(a.start, 0, a)) is Status.COMPLETED
    (row,) = asrun.rows(DAY, DAY)
    assert row.planned_start == at("05:59:50")  # the 'at' time the operator wrote
    assert row.reason == "planned at 06:00:00 instead of its 'at' time 05:59:50"
