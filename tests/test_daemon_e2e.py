"""End to end: a real `playout run` process, real libvlc, a virtual sound card, a recording."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.audio_bench import PulseBench, Recorder
from tests.daemon_bench import (
    PLAYOUT,
    DaemonProcess,
    E2EStation,
    Slot,
    as_run,
    build_station,
    dominant_frequency,
    integrity,
    parse_utc,
)
from tests.helpers import make_audio

pytestmark = pytest.mark.slow

CLIPS = {"a.wav": (440, 1.5), "b.wav": (660, 1.5), "c.wav": (880, 1.5)}
SPOT = "anoisesrc=color=pink:amplitude=0.3:sample_rate=48000"


def test_airings_are_audible_on_time_in_order_and_logged(pulse: PulseBench, tmp_path: Path) -> None:
    slots = [Slot(i * 3.0, "abc"[i % 3] + ".wav") for i in range(8)]  # ~24 s of airings
    station = build_station(tmp_path / "st", CLIPS, slots)
    spot = make_audio(tmp_path / "in" / "Lời kêu gọi.mp3", SPOT, 20, "-af", "tremolo=f=3:d=0.9")
    broken = tmp_path / "in" / "broken.mp3"
    broken.write_text("not audio\n" * 50)
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse)
        assert daemon.wait_for("on air: station test/e2e"), daemon.output()
        assert "audio output pulse" in daemon.output()
        # the daemon imports them (on air: the onsets below must not move)
        code, by_daemon = playout_import(station, spot, broken)
        last = station.instant(slots[-1]).timestamp() + 2.5
        while time.time() < last:
            time.sleep(0.2)
        answered = playout_log(station)  # the daemon answers
        checked = playout(station, "validate")
        assert daemon.terminate() < 5
    from_db = playout_log(station)  # no daemon: the command reads the database
    assert answered == from_db
    assert checked == playout(station, "validate") and "OK: station" in checked
    assert code == 1 and f"imported {spot} -> audio/news/loi-keu-goi.wav (0:20" in by_daemon
    assert f"rejected {broken}: broken.mp3 is a text file, not a recording" in by_daemon
    assert f"library import {spot}: imported -> news/loi-keu-goi.wav" in daemon.output()
    code, here = playout_import(station, spot, broken)  # no daemon: the command does it
    assert code == 1 and f"duplicate {spot}: same audio as audio/news/loi-keu-goi.wav" in here
    assert by_daemon.splitlines()[1:] == here.splitlines()[1:]  # the same rejection
    assert [r["airing_id"] for r in from_db] == [r["airing_id"] for r in as_run(station.db)]
    onsets = rec.recording.onsets()
    freq = {name: f for name, (f, _) in CLIPS.items()}
    errors = []
    for slot in slots:
        planned = station.instant(slot).timestamp()
        nearest = min(onsets, key=lambda o: abs(o - planned))
        errors.append(nearest - planned)
        assert abs(nearest - planned) <= 0.100, (slot, nearest - planned)
        heard = dominant_frequency(rec.recording, nearest)
        assert abs(heard - freq[slot.clip]) < 30, (slot, heard)
    assert len([o for o in onsets if o > station.zero.timestamp() - 1]) == len(slots)
    rows = [r for r in as_run(station.db) if r["status"] != "interrupted"]
    assert [r["clip"] for r in rows] == [s.clip for s in slots]
    assert all(r["status"] == "completed" for r in rows), rows
    for row, slot in zip(rows, slots, strict=True):
        logged = parse_utc(str(row["actual_start"])).timestamp()
        assert abs(logged - station.instant(slot).timestamp()) < 0.1
        assert abs(int(row["played_ms"]) - 1500) < 150  # type: ignore[call-overload]
        assert len(str(row["clip_sha256"])) == 64
    print("onset - scheduled (ms):", [round(e * 1000, 1) for e in errors])


def playout(station: E2EStation, *args: str) -> str:
    return subprocess.run(
        [PLAYOUT, *args],
        env={**os.environ, "PLAYOUT_DIR": str(station.root)},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


def playout_import(station: E2EStation, *files: Path) -> tuple[int, str]:
    proc = subprocess.run(
        [PLAYOUT, "library", "import", "--into", "news", *map(str, files)],
        env={**os.environ, "PLAYOUT_DIR": str(station.root)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return proc.returncode, proc.stdout


def playout_log(station: E2EStation) -> list[dict[str, object]]:
    day = station.zero.astimezone(ZoneInfo(station.tz)).date()
    out = playout(station, "log", "--json", "--date", day.strftime("%d/%m/%Y"))
    return [json.loads(line) for line in out.splitlines()]


def test_kill_9_in_a_loop_loses_and_repeats_nothing(pulse: PulseBench, tmp_path: Path) -> None:
    clips = {"s.wav": (500, 0.6)}
    slots = [Slot(i, "s.wav") for i in range(300)]  # an airing every second for 5 min
    station = build_station(tmp_path / "st", clips, slots, lead_s=4, fallback=None)
    rng = random.Random(20200805)
    completed: set[str] = set()
    for round_ in range(20):
        daemon = DaemonProcess.start(station, pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        time.sleep(rng.uniform(0.2, 2.5))
        daemon.kill9()
        assert integrity(station.db) == "ok"
        rows = as_run(station.db)
        ids = [r["airing_id"] for r in rows]
        assert len(ids) == len(set(ids)), f"round {round_}: an airing was logged twice"
        now_completed = {str(r["airing_id"]) for r in rows if r["status"] == "completed"}
        assert completed <= now_completed, f"round {round_}: completed rows were lost"
        completed = now_completed
    # a clean start closes what the last kill left playing
    daemon = DaemonProcess.start(station, pulse)
    assert daemon.wait_for("on air: station")
    daemon.terminate()
    rows = as_run(station.db)
    assert not [r for r in rows if r["status"] == "playing"]
    assert len(completed) >= 10, "some airings completed between the kills"
    assert {r["status"] for r in rows} <= {"completed", "interrupted", "missed"}


def test_an_airing_cut_by_a_crash_is_logged_with_what_played(
    pulse: PulseBench, tmp_path: Path
) -> None:
    """kill -9 a few seconds into an airing (between two heartbeats): after the restart its
    row says what played within a second, not what the last heartbeat knew."""
    for cut_after in (1.6, 3.7):
        station = build_station(
            tmp_path / f"st{cut_after}",
            {"long.wav": (440, 30.0)},
            [Slot(0, "long.wav")],
            lead_s=4,
        )
        daemon = DaemonProcess.start(station, pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        time.sleep(max(0.0, station.instant(station.slots[0]).timestamp() - time.time()))
        time.sleep(cut_after)
        killed = time.time()
        daemon.kill9()
        again = DaemonProcess.start(station, pulse)
        assert again.wait_for("on air: station"), again.output()
        again.terminate()
        (row,) = as_run(station.db)
        assert row["status"] == "interrupted", row
        truth = killed - parse_utc(str(row["actual_start"])).timestamp()
        played = int(row["played_ms"]) / 1000  # type: ignore[call-overload]
        assert abs(played - truth) < 1.0, (played, truth, row)


def test_broken_clips_fail_the_fallback_plays_and_the_next_is_on_time(
    pulse: PulseBench, tmp_path: Path
) -> None:
    clips = {
        "gone.wav": (440, 1.5),
        "empty.wav": (550, 1.5),
        "cut.wav": (660, 1.5),
        "good.wav": (880, 1.5),
    }
    slots = [Slot(0, "gone.wav"), Slot(4, "empty.wav"), Slot(8, "cut.wav"), Slot(12, "good.wav")]
    # the clips are broken once the daemon is on air (it refuses a schedule with missing
    # clips), before the first is cued: leave room for a slow start on a busy machine
    station = build_station(tmp_path / "st", clips, slots, lead_s=12)
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        audio = station.root / "audio"
        (audio / "gone.wav").unlink()
        (audio / "empty.wav").write_bytes(b"")
        data = (audio / "cut.wav").read_bytes()
        (audio / "cut.wav").write_bytes(data[: len(data) // 5])
        while time.time() < station.instant(slots[-1]).timestamp() + 2.5:
            time.sleep(0.2)
        daemon.terminate()
    rows = {(str(r["campaign"]), str(r["trigger"])): r for r in as_run(station.db)}
    assert rows[("c-gone", "schedule")]["status"] == "failed"
    assert "does not exist" in str(rows[("c-gone", "schedule")]["reason"])
    assert rows[("c-empty", "schedule")]["status"] == "failed"
    assert "empty" in str(rows[("c-empty", "schedule")]["reason"])
    assert rows[("c-cut", "schedule")]["status"] == "failed"
    assert "ended early" in str(rows[("c-cut", "schedule")]["reason"])
    for name in ("gone", "empty", "cut"):
        fallback = rows[(f"c-{name}", "fallback")]
        assert fallback["status"] == "completed"
        assert fallback["airing_id"] == f"{rows[(f'c-{name}', 'schedule')]['airing_id']}-fallback"
    assert rows[("c-good", "schedule")]["status"] == "completed"
    good = station.instant(slots[-1]).timestamp()
    onset = min(rec.recording.onsets(), key=lambda o: abs(o - good))
    assert abs(onset - good) <= 0.1
    assert abs(dominant_frequency(rec.recording, onset) - 880) < 30
    # the fallback (1200 Hz) was heard in place of the missing clip
    first = station.instant(slots[0]).timestamp()
    onset = min(rec.recording.onsets(), key=lambda o: abs(o - first))
    assert abs(onset - first) < 0.5
    assert abs(dominant_frequency(rec.recording, onset) - 1200) < 30


def test_second_daemon_is_refused_and_sigterm_interrupts_the_airing(
    pulse: PulseBench, tmp_path: Path
) -> None:
    clips = {"long.wav": (440, 20.0)}
    station = build_station(tmp_path / "st", clips, [Slot(0, "long.wav")], lead_s=5)
    first = DaemonProcess.start(station, pulse)
    assert first.wait_for("on air: station"), first.output()
    second = DaemonProcess.start(station, pulse)
    assert second.proc.wait(timeout=30) == 3
    assert "another playout daemon is already running for this station" in second.output()
    assert f"pid {first.proc.pid}" in second.output()
    assert first.wait_for("on air 20", timeout=15)
    time.sleep(1.0)
    took = first.terminate()
    assert took < 5
    (row,) = as_run(station.db)
    assert row["status"] == "interrupted"
    assert row["reason"] == "the daemon was stopped during the airing"
    assert 500 <= int(row["played_ms"]) <= 3000  # type: ignore[call-overload]


def test_a_symlink_to_the_database_meets_the_same_lock(pulse: PulseBench, tmp_path: Path) -> None:
    """The one-daemon lock sits beside the database's real path: a second daemon given a
    symlink to it is refused, nothing aired twice."""
    station = build_station(tmp_path / "st", {"a.wav": (440, 1.0)}, [Slot(0, "a.wav")], lead_s=5)
    first = DaemonProcess.start(station, pulse)
    try:
        assert first.wait_for("on air: station"), first.output()
        link = tmp_path / "elsewhere" / "link.db"
        link.parent.mkdir()
        link.symlink_to(station.db)
        second = DaemonProcess.start(station, pulse, global_args=("--db", str(link)))
        try:
            code = second.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill9()
            code = None
        assert code == 3, second.output()
        assert "another playout daemon is already running for this station" in second.output()
        assert first.wait_for("completed 20", timeout=15), first.output()
    finally:
        first.terminate()
    rows = as_run(station.db)
    assert [r["status"] for r in rows] == ["completed"]


def test_a_new_station_id_is_refused_at_reload_and_moves_the_log_at_restart(
    pulse: PulseBench, tmp_path: Path
) -> None:
    """The operator corrects ``station.id`` while the daemon runs: the reload is refused with
    what to do (the log stays under the id the daemon airs as); after the restart the log is
    under the new id and nothing that aired airs again."""
    station = build_station(
        tmp_path / "st", {"a.wav": (440, 1.0)}, [Slot(0, "a.wav"), Slot(40, "a.wav")], lead_s=5
    )
    settings = station.root / "schedules" / "station.yaml"
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse)
        assert daemon.wait_for("completed 20", timeout=30), daemon.output()
        settings.write_text(
            settings.read_text(encoding="utf-8").replace("id: test/e2e", "id: long-an/e2e"),
            encoding="utf-8",
        )
        assert daemon.wait_for("reload (a schedule file changed) refused", timeout=15)
        assert "restart it" in daemon.output()
        asked = subprocess.run(
            [PLAYOUT, "status", "--json"],
            env={**os.environ, "PLAYOUT_DIR": str(station.root)},
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert asked.returncode == 1, asked.stderr  # the failed reload needs the operator
        status = json.loads(asked.stdout)
        assert status["station"] == "test/e2e"
        assert status["last_reload"]["ok"] is False
        daemon.terminate()
        before = as_run(station.db)
        assert [(r["station_id"], r["status"]) for r in before] == [("test/e2e", "completed")]
        again = DaemonProcess.start(station, pulse)
        assert again.wait_for("on air: station long-an/e2e"), again.output()
        time.sleep(2.0)  # had it not moved, the first airing would air again now (late)
        again.terminate()
    rows = as_run(station.db)
    assert {r["station_id"] for r in rows} == {"long-an/e2e"}
    assert [(r["airing_id"], r["status"]) for r in rows][:1] == [
        (before[0]["airing_id"], "completed")
    ]
    assert len(rows) == 1, rows
    assert "moved to the new id" in again.output()
    first = station.instant(station.slots[0]).timestamp()
    assert len([o for o in rec.recording.onsets() if o > first - 1]) == 1, "aired once"


def test_the_air_signal_file_keeps_every_airing(pulse: PulseBench, tmp_path: Path) -> None:
    """``--output afile``: libvlc rewrites its file at every airing, so each airing is kept in
    a file of its own, named by its start and clip (a PC with no sound card keeps the proof)."""
    from playout.library.catalog import sha256_of
    from playout.library.probe import probe

    station = build_station(
        tmp_path / "st",
        {"low.wav": (330, 1.5), "high.wav": (990, 1.5)},
        [Slot(2, "low.wav"), Slot(6, "high.wav")],
    )
    air = tmp_path / "out" / "on-air.wav"
    daemon = DaemonProcess.start(station, pulse, "--output", "afile", "--output-file", str(air))
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                rows = as_run(station.db) if station.db.exists() else []
            except sqlite3.OperationalError:  # the file is there, its tables not yet
                rows = []
            if sum(r["status"] == "completed" for r in rows) == 2:
                break
            time.sleep(0.5)
    finally:
        daemon.terminate()
    kept = sorted(air.parent.glob("on-air-*-*.wav"))
    assert sorted(p.stem.rsplit("-", 1)[-1] for p in kept) == ["high", "low"], (
        kept,
        daemon.output(),
    )
    assert len({sha256_of(p) for p in kept}) == 2
    # named by the start in the station's time (its zone is far from the machine's here)
    tz = ZoneInfo(station.tz)
    starts = [parse_utc(str(r["actual_start"])) for r in as_run(station.db)]
    for p in kept:
        stamp = p.stem.removeprefix("on-air-").rsplit("-", 1)[0]
        named = datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=tz)
        assert any(abs((named - s).total_seconds()) <= 1.5 for s in starts), (p, starts)
    for p in kept:
        assert abs(probe(p).duration_ms - 1500) < 400, (p, probe(p).duration_ms)
