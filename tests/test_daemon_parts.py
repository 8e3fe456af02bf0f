"""The daemon's fault-handling parts on their own: time watch, log flood filter, spill file,
buffered as-run writer against a really locked SQLite database, settling passed airings."""

from __future__ import annotations

import itertools
import logging
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from playout.clock import FixedClock
from playout.daemon.asrun import AsRunLog
from playout.daemon.logsummary import FloodFilter
from playout.daemon.ops import Op
from playout.daemon.recovery import UNKNOWN, recover, settle
from playout.daemon.service import Daemon
from playout.daemon.spill import DATA_START, Spill
from playout.daemon.timewatch import TimeWatch
from playout.daemon.timings import Timings
from playout.daemon.writer import BufferedAsRun, replay_spill
from playout.library.fingerprint import Fingerprints
from playout.planning import plan
from playout.store import Database, Status, Trigger, open_database
from tests.test_engine import DAY, DUR, airing, at, previous_run, sample_schedule

# --------------------------------------------------------------------------- time watch


class Clocks:
    def __init__(self) -> None:
        self.wall = 1_000_000.0
        self.mono = 50.0

    def tick(self, seconds: float, wall_extra: float = 0.0) -> None:
        self.mono += seconds
        self.wall += seconds + wall_extra


@pytest.mark.parametrize(
    ("tick", "wall_extra", "step", "frozen"),
    [
        (0.25, 0.0, None, None),  # time flows
        (0.25, 0.5, None, None),  # NTP slewing, small corrections: not a step
        (0.25, 3600.0, 3600.0, 0.0),  # stepped forward an hour
        (0.25, -3600.0, -3600.0, 0.0),  # stepped back an hour
        (20.0, 0.0, 0.0, 20.0),  # frozen 20 s (SIGSTOP), both clocks moved
        (0.25, -1.5, -1.5, 0.0),  # a small step back
    ],
)
def test_time_watch_reports_steps_and_freezes(
    tick: float, wall_extra: float, step: float | None, frozen: float | None
) -> None:
    c = Clocks()
    watch = TimeWatch(wall=lambda: c.wall, monotonic=lambda: c.mono)
    c.tick(tick, wall_extra)
    jump = watch.check()
    if step is None:
        assert jump is None
        return
    assert jump is not None
    assert jump.step_s == pytest.approx(step)
    assert jump.frozen_s == pytest.approx(frozen)
    assert jump.before == pytest.approx(1_000_000.0)
    assert watch.check() is None, "each jump is reported once"


def test_time_watch_describes_the_jump() -> None:
    c = Clocks()
    watch = TimeWatch(wall=lambda: c.wall, monotonic=lambda: c.mono)
    c.tick(0.2, 3600)
    jump = watch.check()
    assert jump is not None and jump.forward
    assert jump.describe() == "the system clock stepped forward by 60 min"
    c.tick(0.2, -7200)
    back = watch.check()
    assert back is not None and not back.forward
    assert back.describe() == "the system clock stepped back by 2.0 h"
    c.tick(30)
    frozen = watch.check()
    assert frozen is not None and frozen.describe() == "the daemon was frozen for 30.0 s"


# --------------------------------------------------------------------------- log floods


def test_a_repeated_message_is_logged_once_then_summarised() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    flood = FloodFilter(window=0.3)
    handler = Keep()
    handler.addFilter(flood)
    logger = logging.getLogger("test.flood")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for _ in range(500):
            logger.error("accept failed: %s", "Too many open files")
        logger.error("another problem")
        assert [r.getMessage() for r in records] == [
            "accept failed: Too many open files",
            "another problem",
        ]
        time.sleep(0.35)
        logger.error("accept failed: %s", "Too many open files")
        assert "(repeated 499 times since" in records[-1].getMessage()
        for _ in range(10):
            logger.error("accept failed: %s", "Too many open files")
        time.sleep(0.35)
        flood.flush()
        assert "repeated 10 more times" in records[-1].getMessage()
        assert len(records) == 4
    finally:
        logger.removeHandler(handler)


# --------------------------------------------------------------------------- spill file


def test_spill_keeps_what_was_not_written_and_survives_a_torn_record(tmp_path: Path) -> None:
    path = tmp_path / "x.spill"
    spill = Spill(path, size=64 * 1024)
    assert spill.open() == []
    for seq in range(1, 6):
        assert spill.append(seq, f'{{"n": {seq}}}')
    spill.mark_applied(2)
    spill.alive(1234.5)
    spill.close()
    again = Spill(path, size=64 * 1024)
    assert [seq for seq, _ in again.open()] == [3, 4, 5]
    assert again.last_alive == 1234.5 and again.last_seq == 5
    again.mark_applied(5)  # all written: the next record goes at the start again
    assert again.append(6, '{"n": 6}')
    again.close()
    # a torn write (a crash in the middle of a record) ends the reading there
    with path.open("r+b") as fh:
        fh.seek(DATA_START + 12 + 3)
        fh.write(b"\xff\xff")
    third = Spill(path, size=64 * 1024)
    assert third.open() == []


def test_spill_refuses_when_full(tmp_path: Path) -> None:
    spill = Spill(tmp_path / "x.spill", size=DATA_START + 200)
    spill.open()
    assert spill.append(1, "x" * 100)
    assert not spill.append(2, "y" * 100)


# --------------------------------------------------------------------------- the writer


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_database(tmp_path / "playout.db")
    yield database
    database.close()


def lock_database(path: Path, seconds: float) -> threading.Thread:
    locked = threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(seconds)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(5)
    return thread


def test_buffered_writes_never_wait_on_a_locked_database(db: Database, tmp_path: Path) -> None:
    clock = FixedClock(at("06:00:00"))
    spill = Spill(tmp_path / "playout.db.spill")
    direct = AsRunLog(db, "test/station")
    replay_spill(spill, direct)
    asrun = BufferedAsRun(direct, clock, spill)
    asrun.start()
    holder = lock_database(db.path, 4)
    started = time.monotonic()
    for n in range(1, 4):
        a = airing(n, f"06:0{n}:00")
        assert asrun.begin(
            a, trigger=Trigger.SCHEDULE, actual_start=a.start, clip_sha256=None, run_id=None
        )
        asrun.finish(a.airing_id, Status.COMPLETED, 2000, "", a.end)
    assert time.monotonic() - started < 0.1, "the calls only queue"
    assert asrun.is_logged("20200805-c-01")
    assert not asrun.begin(
        airing(1, "06:01:00"),
        trigger=Trigger.SCHEDULE,
        actual_start=at("06:01:00"),
        clip_sha256=None,
        run_id=None,
    ), "an airing is never logged twice"
    time.sleep(2.5)
    backlog = asrun.backlog()
    assert backlog["rows_waiting"] == 6 and backlog["failing_since"]
    assert backlog["spilled"] == 6
    holder.join()
    deadline = time.monotonic() + 15
    while asrun.backlog()["rows_waiting"] and time.monotonic() < deadline:
        time.sleep(0.1)
    asrun.stop(3)
    rows = direct.rows(DAY, DAY)
    assert [(r.airing_id, r.status, r.actual_start) for r in rows] == [
        (f"20200805-c-{n:02d}", "completed", at(f"06:0{n}:00")) for n in range(1, 4)
    ]
    assert asrun.backlog()["failing_since"] is None


def test_rows_spilled_by_a_dead_process_are_written_at_the_next_start(
    db: Database, tmp_path: Path
) -> None:
    direct = AsRunLog(db, "test/station")
    spill = Spill(tmp_path / "playout.db.spill")
    spill.open()
    a = airing(1, "06:01:00")
    from playout.daemon.ops import finish_op, insert_op

    ops = [
        insert_op(
            "test/station",
            a,
            status=Status.PLAYING,
            trigger=Trigger.SCHEDULE,
            actual_start=a.start,
        ),
        finish_op("test/station", a.airing_id, Status.COMPLETED, 2000, "", a.end),
    ]
    for seq, op in enumerate(ops, start=1):
        assert spill.append(seq, op.to_json())
    spill.close()  # the process dies here, the database never saw the rows
    assert direct.rows(DAY, DAY) == []
    again = Spill(tmp_path / "playout.db.spill")
    assert replay_spill(again, direct) == 2
    (row,) = direct.rows(DAY, DAY)
    assert (row.status, row.played_ms, row.actual_start) == ("completed", 2000, a.start)
    assert replay_spill(Spill(tmp_path / "playout.db.spill"), direct) == 0
    # replaying an op twice changes nothing
    for op in ops:
        direct.apply(Op.from_json(op.to_json()))
    assert len(direct.rows(DAY, DAY)) == 1


# --------------------------------------------------------------------------- settling


def test_airings_passed_in_a_jump_are_made_good_spaced_or_missed(db: Database) -> None:
    schedule = sample_schedule(make_good=True)
    from playout.planning import plan

    planned = plan(schedule, DAY, DAY, durations=DUR).airings
    asrun = AsRunLog(db, "test/station")
    morning = [a for a in planned if a.session == "morning"]
    now = morning[-1].start + timedelta(minutes=1)
    result = settle(
        asrun,
        schedule,
        morning,
        now,
        booked=[a for a in planned if a.start > now],
        reason="the system clock stepped forward by 60 min",
    )
    placed = sorted(result.make_goods, key=lambda a: a.start)
    assert placed, "there is room in the afternoon"
    for a, b in itertools.pairwise(placed):
        assert b.start - a.start >= timedelta(minutes=10), "make-goods are spaced, never a burst"
    assert all(a.start >= now for a in placed)
    logged = asrun.rows(DAY, DAY)
    assert {r.airing_id for r in logged} == {a.airing_id for a in result.missed}
    assert all(r.reason.startswith("the system clock stepped forward") for r in logged)
    assert len(placed) + len(result.missed) == len(morning)


def test_recovery_logs_unknown_for_airings_while_the_daemon_could_not_write(
    db: Database,
) -> None:
    schedule = sample_schedule(make_good=False)
    asrun = AsRunLog(db, "test/station")
    # the last heartbeat the database got was at 05:31, but the spill file saw the daemon
    # alive until 06:10: airings between are not "off air", they are unknown
    previous = previous_run(asrun, at("05:31:00"))
    now = at("12:00:00")
    result = recover(
        asrun,
        schedule,
        DUR,
        now,
        previous=previous,  # type: ignore[arg-type]
        late_grace=timedelta(minutes=5),
        last_alive=at("06:10:00").timestamp(),
    )
    rows = {r.airing_id: r for r in asrun.rows(DAY, DAY)}
    morning = [r for r in rows.values() if r.planned_start < at("06:10:00")]
    assert morning and all(r.status == "interrupted" and r.reason == UNKNOWN for r in morning), (
        morning
    )
    later = [r for r in rows.values() if r.planned_start > at("06:10:00")]
    assert later and all(r.status == "missed" for r in later)
    assert len(result.missed) == len(rows)


# --------------------------------------------------------------------------- fingerprints


def test_fingerprint_follows_a_replaced_file(tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    path.write_bytes(b"one")
    prints = Fingerprints()
    first = prints.sha256(path)
    assert prints.sha256(path) == first
    replacement = tmp_path / "new.wav"
    replacement.write_bytes(b"two")
    replacement.replace(path)
    assert prints.sha256(path) != first


def test_buffered_log_knows_what_the_database_holds(db: Database) -> None:
    direct = AsRunLog(db, "test/station")
    a = airing(1, "06:01:00")
    direct.record(a, Status.MISSED, "station off air", at=a.start)
    asrun = BufferedAsRun(direct, FixedClock(datetime(2020, 8, 5, tzinfo=UTC)))
    asrun.load_known(DAY - timedelta(days=1), DAY)
    assert asrun.is_logged(a.airing_id)
    assert asrun.logged_ids(DAY, DAY) == {a.airing_id}


def test_the_log_file_gets_the_same_lines_as_the_screen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``playout run --log-file``: one flood filter for both handlers; each gets every line
    once and no false "repeated" line."""
    from playout.cli.run import setup_logging
    from playout.i18n import Words

    root = logging.getLogger()
    before = list(root.handlers)
    log_file = tmp_path / "log" / "playout.log"
    flood = setup_logging("info", log_file, Words("en"))
    added = [h for h in root.handlers if h not in before]
    try:
        logger = logging.getLogger("playout.daemon")
        logger.info("on air %s", "20200805-bluezone-0630")
        logger.warning("missed %s", "20200805-bluezone-1130")
        logger.info("on air %s", "20200805-bluezone-0630")  # a repeat: held on both
        flood.flush()
    finally:
        for h in added:
            root.removeHandler(h)
            h.close()
    lines = log_file.read_text(encoding="utf-8").splitlines()
    screen = [x for x in capsys.readouterr().err.splitlines() if "playout.daemon" in x]
    for got in (lines, screen):
        assert [x.split(": ", 1)[1] for x in got] == [
            "on air 20200805-bluezone-0630",
            "missed 20200805-bluezone-1130",
        ], got
    assert not any("repeated" in x for x in lines + screen)


# --------------------------------------------------------------------------- the daemon's threads


def idle_daemon(db: Database, library: Path, clock: FixedClock) -> Daemon:
    """A daemon built as `playout run` builds it, with no thread started (its timers are not
    started either: jobs wait)."""
    from playout.player.fake import FakePlayer

    return Daemon(
        schedule=sample_schedule(),
        durations=DUR,
        library=library,
        db=db,
        player=FakePlayer(clock),
        clock=clock,
    )


def test_a_day_is_planned_once_when_threads_race(tmp_path: Path) -> None:
    """The heartbeat, the time watch and the airer all call ensure_days: each day is
    planned (and its airings booked) once."""
    db = open_database(tmp_path / "playout.db")
    try:
        daemon = idle_daemon(db, tmp_path / "audio", FixedClock(at("05:00:00")))
        planned: list[object] = []

        class Slow(AsRunLog):
            def store_plan(self, day: object, *args: object, **kwargs: object) -> int | None:
                planned.append(day)
                time.sleep(0.05)  # planning takes a while: the window of the race
                return None

        daemon.horizon.asrun = Slow(db, "test/station")  # type: ignore[assignment]
        barrier = threading.Barrier(6)

        def race() -> None:
            barrier.wait()
            daemon.horizon.ensure_days(at("05:00:00"), "start")

        threads = [threading.Thread(target=race) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(planned) == [DAY, DAY + timedelta(days=1)]  # type: ignore[type-var]
        assert len(daemon.horizon.booked) == 8  # 4 a day, once each
    finally:
        db.close()


def test_a_helper_thread_that_ran_well_starts_its_back_off_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = open_database(tmp_path / "playout.db")
    try:
        daemon = idle_daemon(db, tmp_path / "audio", FixedClock(at("05:00:00")))
        daemon.timings = Timings(thread_steady_s=0.2, restart_first_s=0.01)
        runs = iter([0.0, 0.0, 0.0, 0.3, 0.0])  # how long each run lasts before it fails

        def flaky() -> None:
            lasts = next(runs, None)
            if lasts is None:
                return  # the last run ends well
            time.sleep(lasts)
            raise RuntimeError("boom")

        with caplog.at_level(logging.ERROR, logger="playout.daemon"):
            daemon._supervise("flaky", flaky)
            daemon._threads["flaky"].join(5)
        counts = [r.getMessage() for r in caplog.records if "flaky thread failed" in r.message]
        assert [c.split("(")[1].split(")")[0] for c in counts] == ["1", "2", "3", "1", "2"]
        assert Timings().restart_delay(1) == 2 and Timings().restart_delay(9) == 60
    finally:
        db.close()


# --------------------------------------------------------------------------- the database file


@pytest.mark.parametrize("what", ["deleted", "replaced"])
def test_a_database_deleted_or_replaced_while_running_comes_back_whole(
    tmp_path: Path, what: str
) -> None:
    from playout.daemon.dbguard import DatabaseGuard

    path = tmp_path / "var" / "playout.db"
    db = open_database(path)
    try:
        asrun = AsRunLog(db, "test/station")
        guard = DatabaseGuard(db)
        assert guard.check() is None
        first = airing(1, "05:45:00")
        asrun.record(first, Status.COMPLETED, "", at=at("05:46:00"))
        path.unlink()
        if what == "replaced":
            path.write_bytes(b"someone's file")
        second = airing(2, "06:15:00")
        asrun.record(second, Status.COMPLETED, "", at=at("06:16:00"))  # into the lost file
        restored = guard.check()
        assert restored is not None and restored.airings == 2
        assert ("was deleted while" in restored.describe()) == (what == "deleted")
        conn = sqlite3.connect(path)
        try:
            ids = [r[0] for r in conn.execute("SELECT airing_id FROM airings ORDER BY id")]
        finally:
            conn.close()
        assert ids == [first.airing_id, second.airing_id]
        third = airing(3, "16:45:00")
        asrun.record(third, Status.COMPLETED, "", at=at("16:46:00"))  # the daemon goes on
        assert asrun.logged_ids(DAY, DAY) == {a.airing_id for a in (first, second, third)}
        assert guard.check() is None
        kept = list(path.parent.glob("playout.db.replaced-*"))
        assert len(kept) == (1 if what == "replaced" else 0)
        if kept:
            assert kept[0].read_bytes() == b"someone's file"
        guard.close()
    finally:
        db.close()


def test_the_first_start_airs_nothing_planned_before_it(tmp_path: Path) -> None:
    """A fresh database: the airings of the last late_grace are not aired late back to back
    (the first start counts nothing before it); a later start airs them late as before."""
    db = open_database(tmp_path / "playout.db")
    try:
        clock = FixedClock(at("05:47:00"))
        daemon = idle_daemon(db, tmp_path / "audio", clock)
        spread = [a.start for a in plan(daemon.horizon.schedule, DAY, DAY, durations=DUR).airings]
        assert any(at("05:42:00") < s < at("05:47:00") for s in spread), spread
        run_id, daemon.asrun = daemon._start_log(clock.now())
        daemon.horizon.ensure_days(clock.now(), "start")
        assert daemon.horizon.booked and all(
            i.start >= at("05:47:00") for i in daemon.horizon.booked.values()
        )
        daemon.direct.end_run(run_id, clock.now())

        later = idle_daemon(db, tmp_path / "audio", clock)
        _, later.asrun = later._start_log(clock.now())
        later.horizon.ensure_days(clock.now(), "start")
        assert any(i.start < at("05:47:00") for i in later.horizon.booked.values())
    finally:
        db.close()


def test_at_times_logged_under_an_older_id_are_not_aired_again(tmp_path: Path) -> None:
    """Airings of 'at' times logged by an older playout under numbered ids ("-01"): after
    the upgrade the same slots (campaign and wanted time) are neither aired again nor counted
    missed, whatever their new ids."""
    from dataclasses import replace as dc_replace

    from playout.schedule.model import Campaign

    db = open_database(tmp_path / "playout.db")
    try:
        schedule = sample_schedule()
        at_campaign = Campaign.model_validate(
            {"id": "c", "playlist": "p", "from": "01/08/2020", "at": ["05:45", "06:15", "16:45"]}
        )
        schedule = dc_replace(schedule, campaigns=(at_campaign,))
        old = AsRunLog(db, "test/station")
        run = old.begin_run(1, "host", at("05:00:00"), "fake")
        planned = plan(schedule, DAY, DAY, durations=DUR).airings
        for n, a in enumerate(planned[:2], start=1):  # what the older version logged
            legacy = dc_replace(a, airing_id=f"20200805-c-{n:02d}")
            old.record(legacy, Status.COMPLETED, "", at=a.start, run_id=run)
        old.heartbeat(run, at("06:20:00"))
        old.end_run(run, at("06:20:00"))

        clock = FixedClock(at("06:20:30"))
        daemon = idle_daemon(db, tmp_path / "audio", clock)
        daemon.horizon.schedule = schedule
        _, daemon.asrun = daemon._start_log(clock.now())
        daemon.horizon.ensure_days(clock.now(), "start")
        today = [i.airing.airing_id for i in daemon.horizon.booked.values() if i.airing.day == DAY]
        assert today == ["20200805-c-1645"]
        assert sorted(a for a in old.logged_ids(DAY, DAY)) == ["20200805-c-01", "20200805-c-02"]
        # and the engine's sink refuses the slot under its new id
        assert daemon.asrun.record(planned[0], Status.MISSED, "x") is False
    finally:
        db.close()


@pytest.mark.parametrize(
    ("text", "changed", "error"),
    [
        ("", {}, ""),
        ("heartbeat_s=1, handshake_s=2.5", {"heartbeat_s": 1.0, "handshake_s": 2.5}, ""),
        ("watch_s=0.2,", {"watch_s": 0.2}, ""),
        ("heartbeat=1", {}, "unknown timing 'heartbeat' (known: heartbeat_s, handshake_s"),
        ("heartbeat_s=fast", {}, "heartbeat_s: 'fast' is not a number of seconds"),
        ("heartbeat_s=0", {}, "heartbeat_s: 0 s is out of range"),
    ],
)
def test_timings_are_set_by_name(text: str, changed: dict[str, float], error: str) -> None:
    """``playout run --timings`` / PLAYOUT_TIMINGS: the defaults with the named ones changed."""
    from dataclasses import replace as dc_replace

    if error:
        with pytest.raises(ValueError, match=re.escape(error)):
            Timings.from_text(text)
    else:
        assert Timings.from_text(text) == dc_replace(Timings(), **changed)
