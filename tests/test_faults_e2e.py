"""The daemon under real faults, one test per fault, judged by what was heard and what was logged.

Each test runs a real `playout run` on the null-sink bench and injects a real fault: another
process holding the database, a full file system, the wall clock stepped (an LD_PRELOAD library
built here, which moves CLOCK_REALTIME and leaves the monotonic clocks alone, as NTP does), the
PulseAudio server killed and restarted, the daemon frozen with SIGSTOP, a clip replaced on
disk, a machine time zone far from the station's. Every test checks: exactly one row per
planned airing, airings heard on time or logged with the true reason, true figures, no burst,
and no traceback in the daemon's log.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from playout.daemon.control import request
from tests.audio_bench import PulseBench, Recorder, Recording
from tests.daemon_bench import (
    PLAYOUT,
    DaemonProcess,
    E2EStation,
    Slot,
    as_run,
    build_station,
    dominant_frequency,
    parse_utc,
)
from tests.helpers import make_audio

pytestmark = [pytest.mark.slow, pytest.mark.faults]

SHORT = {"a.wav": (440, 1.0)}


@pytest.fixture(scope="session")
def clockstep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The LD_PRELOAD library that offsets the wall clock (tests/native/clockstep.c)."""
    out = tmp_path_factory.mktemp("native") / "clockstep.so"
    source = Path(__file__).parent / "native" / "clockstep.c"
    subprocess.run(
        ["cc", "-O2", "-shared", "-fPIC", "-o", str(out), str(source), "-ldl"], check=True
    )
    return out


def stepped_env(lib: Path, offset_file: Path, offset_s: float = 0.0) -> dict[str, str]:
    offset_file.write_text(f"{offset_s:.3f}\n")
    return {"LD_PRELOAD": str(lib), "CLOCKSTEP_FILE": str(offset_file)}


def step_clock(offset_file: Path, offset_s: float) -> None:
    tmp = offset_file.with_suffix(".tmp")
    tmp.write_text(f"{offset_s:.3f}\n")
    tmp.replace(offset_file)


def wait_until(real_time: float) -> None:
    while time.time() < real_time:
        time.sleep(0.05)


def rows_by_slot(station: E2EStation) -> dict[str, dict[str, object]]:
    rows = as_run(station.db)
    ids = [str(r["airing_id"]) for r in rows]
    assert len(ids) == len(set(ids)), "an airing was logged twice"
    return {i: r for i, r in zip(ids, rows, strict=True)}


def slot_ids(station: E2EStation, clip: str = "a.wav") -> list[str]:
    """Airing ids of the slots of one clip, in order (the campaign is c-<clip stem>)."""
    day = station.zero.astimezone(ZoneInfo(station.tz)).strftime("%Y%m%d")
    n = sum(1 for s in station.slots if s.clip == clip)
    return [f"{day}-c-{Path(clip).stem}-{i:02d}" for i in range(1, n + 1)]


def heard_on_time(rec: Recording, real: float, tolerance: float = 0.1) -> float | None:
    onsets = [o for o in rec.onsets() if abs(o - real) <= tolerance]
    return onsets[0] if onsets else None


def assert_clean_log(daemon: DaemonProcess) -> None:
    text = daemon.output()
    assert "Traceback" not in text, text[-3000:]


def assert_true_start(row: dict[str, object], rec: Recording, station: E2EStation) -> None:
    """The logged start is the heard start (within 0.1 s)."""
    logged = parse_utc(str(row["actual_start"])).timestamp() - station.clock_offset_s
    onset = min(rec.onsets(), key=lambda o: abs(o - logged))
    assert abs(onset - logged) <= 0.1, (row["airing_id"], onset - logged)


# --------------------------------------------------------------------------- time zone


def test_machine_zone_far_from_the_station_plans_by_station_time(
    pulse: PulseBench, tmp_path: Path, clockstep: Path
) -> None:
    """A PC left on another zone: the days are the station's, and at 23:00 station time the
    day after tomorrow is planned (it used to be planned at 23:00 of the machine's zone)."""
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    real_now = datetime.now(UTC)
    target = real_now.astimezone(tz).replace(hour=22, minute=59, second=38, microsecond=0)
    offset = (target - real_now).total_seconds()
    slots = [Slot(i * 5, "a.wav") for i in range(5)]
    station = build_station(
        tmp_path / "st", SHORT, slots, clock_offset_s=offset, tz="Asia/Ho_Chi_Minh", lead_s=6
    )
    env = {**stepped_env(clockstep, tmp_path / "offset", offset), "TZ": "America/Los_Angeles"}
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse, env=env)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[-1]) + 7)  # past 23:00 station time and a heartbeat
        daemon.terminate()
    assert_clean_log(daemon)
    conn = sqlite3.connect(station.db)
    days = {d for (d,) in conn.execute("SELECT DISTINCT day FROM day_plans")}
    conn.close()
    today = station.zero.astimezone(tz).date()
    assert days == {str(today + timedelta(days=n)) for n in range(3)}, days
    rows = rows_by_slot(station)
    for airing_id, slot in zip(slot_ids(station), slots, strict=True):
        assert rows[airing_id]["status"] == "completed", rows[airing_id]
        assert heard_on_time(rec.recording, station.real(slot)) is not None, airing_id
        assert_true_start(rows[airing_id], rec.recording, station)


# --------------------------------------------------------------------------- database


def hold_exclusive(db: Path, seconds: float) -> subprocess.Popen[bytes]:
    code = (
        "import sqlite3, sys, time\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None, timeout=30)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        f"time.sleep({seconds})\n"
        "c.execute('COMMIT')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"locked"
    return proc


def test_database_locked_by_another_process_for_30_s(pulse: PulseBench, tmp_path: Path) -> None:
    slots = [Slot(i * 4, "a.wav") for i in range(10)]
    station = build_station(tmp_path / "st", SHORT, slots, lead_s=6)
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[0]) - 1)
        locker = hold_exclusive(station.db, 30)
        wait_until(station.real(slots[2]) + 2)
        backlog = request(station.db, "status")["as_run_backlog"]
        assert backlog["rows_waiting"] >= 2 and backlog["failing_since"], backlog
        locker.wait(timeout=60)
        wait_until(station.real(slots[-1]) + 4)
        daemon.terminate()
    assert_clean_log(daemon)
    out = daemon.output()
    assert out.count("the as-run log cannot be written") == 1, out
    assert "the as-run log is written again" in out
    rows = rows_by_slot(station)
    assert len(rows) == len(slots)
    for airing_id, slot in zip(slot_ids(station), slots, strict=True):
        row = rows[airing_id]
        assert row["status"] == "completed", row
        assert heard_on_time(rec.recording, station.real(slot)) is not None, airing_id
        assert_true_start(row, rec.recording, station)
        assert abs(int(row["played_ms"]) - 1000) < 150  # type: ignore[call-overload]


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 24 MB file system to fill up (needs root to mount; CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (the CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path) -> Path:
    filler = folder / "filler"
    with filler.open("wb") as fh:
        block = b"\0" * (1 << 20)
        try:
            while True:
                fh.write(block)
                fh.flush()
        except OSError:
            pass
    return filler


def test_disk_full_keeps_airing_and_loses_no_row_even_when_killed(
    pulse: PulseBench, tmp_path: Path, small_tmpfs: Path
) -> None:
    slots = [Slot(i * 4, "a.wav") for i in range(8)]
    station = build_station(small_tmpfs / "st", SHORT, slots, lead_s=6)
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[0]) - 1)
        filler = fill(small_tmpfs)
        wait_until(station.real(slots[3]) + 2)  # four airings on a full disk
        daemon.kill9()  # and the process dies before the disk is freed
        filler.unlink()
        daemon2 = DaemonProcess.start(station, pulse)
        assert daemon2.wait_for("on air: station"), daemon2.output()
        wait_until(station.real(slots[-1]) + 3)
        daemon2.terminate()
    assert "the as-run log cannot be written" in daemon.output()
    assert "that the last run could not write to the database" in daemon2.output()
    assert_clean_log(daemon)
    assert_clean_log(daemon2)
    rows = rows_by_slot(station)
    ids = slot_ids(station)
    for airing_id, slot in zip(ids[:4], slots[:4], strict=True):
        row = rows[airing_id]
        assert row["status"] == "completed", row
        assert heard_on_time(rec.recording, station.real(slot)) is not None
        assert_true_start(row, rec.recording, station)
    for airing_id in ids[4:]:
        assert airing_id in rows, f"{airing_id} has no row"


# --------------------------------------------------------------------------- clock steps


def test_clock_steps_back_an_hour_and_returns_50_s_later(
    pulse: PulseBench, tmp_path: Path, clockstep: Path
) -> None:
    slots = [Slot(i * 5, "a.wav") for i in range(17)]  # 0 .. 80 s
    station = build_station(tmp_path / "st", SHORT, slots, lead_s=6, make_good=False)
    offset = tmp_path / "offset"
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse, env=stepped_env(clockstep, offset))
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[0]) + 7)
        step_clock(offset, -3600)
        wait_until(station.real(slots[0]) + 58.5)
        step_clock(offset, 0)
        time.sleep(1.5)
        upcoming = request(station.db, "status")["next"]
        wait_until(station.real(slots[-1]) + 3)
        daemon.terminate()
    assert_clean_log(daemon)
    now = time.time()
    assert all(datetime.fromisoformat(i["start"]).timestamp() > now - 30 for i in upcoming)
    rows = rows_by_slot(station)
    assert len(rows) == len(slots)
    onsets = [o for o in rec.recording.onsets() if o > station.real(slots[0]) - 1]
    aired = 0
    for airing_id, slot in zip(slot_ids(station), slots, strict=True):
        row = rows[airing_id]
        if 7 < slot.offset_s < 58.5:  # due while the clock was an hour behind
            assert row["status"] == "missed", row
            assert "stepped forward" in str(row["reason"]), row
        else:
            assert row["status"] == "completed", row
            assert heard_on_time(rec.recording, station.real(slot)) is not None, airing_id
            assert_true_start(row, rec.recording, station)
            aired += 1
    assert len(onsets) == aired, "only the airings on time were heard: no burst"
    assert daemon.output().count("stepped back") == 1


def test_clock_steps_forward_an_hour(pulse: PulseBench, tmp_path: Path, clockstep: Path) -> None:
    before = [Slot(i * 5, "a.wav") for i in range(9)]  # 0 .. 40 s (real = daemon time)
    after = [Slot(3600 + 22 + i * 4, "a.wav") for i in range(3)]  # an hour on, daemon time
    station = build_station(
        tmp_path / "st", SHORT, before + after, lead_s=6, make_good=False, session_minutes=70
    )
    offset = tmp_path / "offset"
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse, env=stepped_env(clockstep, offset))
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(before[0]) + 12)
        step_clock(offset, 3600)
        station.clock_offset_s = 3600  # from now on the daemon's clock is an hour ahead
        wait_until(station.real(after[-1]) + 3)
        daemon.terminate()
    assert_clean_log(daemon)
    rows = rows_by_slot(station)
    assert len(rows) == len(before) + len(after)
    onsets = [o for o in rec.recording.onsets() if o > station.zero.timestamp() - 1]
    ids = slot_ids(station)
    for airing_id, slot in zip(ids, before + after, strict=True):
        row = rows[airing_id]
        if slot.offset_s < 12:
            real = station.zero.timestamp() + slot.offset_s
            assert row["status"] == "completed", row
            assert heard_on_time(rec.recording, real) is not None, airing_id
        elif slot.offset_s < 3600:  # jumped over
            assert row["status"] == "missed", row
            assert "stepped forward by 60 min" in str(row["reason"]), row
        else:
            assert row["status"] == "completed", row
            assert heard_on_time(rec.recording, station.real(slot)) is not None, airing_id
            assert_true_start(row, rec.recording, station)
    assert len(onsets) == 3 + len(after), "no burst of late airings after the jump"
    assert len(daemon.lines) < 150, "the log is not flooded"


# --------------------------------------------------------------------------- audio output


def test_sound_server_killed_mid_airing_and_restarted(tmp_path: Path) -> None:
    bench = PulseBench(tmp_path / "pulse")
    (tmp_path / "pulse").mkdir()
    bench.start()
    try:
        clips = {"long.wav": (440, 13.0), "b.wav": (660, 1.5)}
        slots = [Slot(0, "long.wav"), Slot(16, "b.wav"), Slot(20, "b.wav")]
        station = build_station(tmp_path / "st", clips, slots, lead_s=6, make_good=False)
        daemon = DaemonProcess.start(station, bench)
        assert daemon.wait_for("on air: station"), daemon.output()
        with Recorder(bench) as first:
            wait_until(station.real(slots[0]) + 4)
        killed_at = time.time()
        bench.stop()
        time.sleep(1.0)
        bench.start()
        with Recorder(bench) as second:
            wait_until(station.real(slots[-1]) + 3)
        daemon.terminate()
    finally:
        bench.stop()
    assert_clean_log(daemon)
    rows = rows_by_slot(station)
    long_id = slot_ids(station, "long.wav")[0]
    cut = rows[long_id]
    assert cut["status"] == "interrupted", cut
    assert "audio output failed" in str(cut["reason"]), cut
    heard = first.recording.sound_between(station.real(slots[0]) - 0.5, killed_at + 1)
    assert abs(int(cut["played_ms"]) / 1000 - heard) < 0.6, (cut, heard)  # type: ignore[call-overload]
    for airing_id, slot in zip(slot_ids(station, "b.wav"), slots[1:], strict=True):
        row = rows[airing_id]
        assert row["status"] == "completed", row
        onset = heard_on_time(second.recording, station.real(slot))
        assert onset is not None, airing_id
        assert abs(dominant_frequency(second.recording, onset) - 660) < 30
    assert "audio player rebuilt" in daemon.output()


def test_daemon_frozen_20_s_mid_airing(pulse: PulseBench, tmp_path: Path) -> None:
    clips = {"long.wav": (440, 13.0), "b.wav": (660, 1.0)}
    slots = [
        Slot(0, "long.wav"),
        Slot(10, "b.wav"),  # due while frozen
        Slot(15, "b.wav"),  # due while frozen
        Slot(30, "b.wav"),
        Slot(34, "b.wav"),
    ]
    station = build_station(tmp_path / "st", clips, slots, lead_s=6, make_good=False)
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[0]) + 3)
        daemon.proc.send_signal(signal.SIGSTOP)
        frozen_at = time.time()
        time.sleep(20)
        daemon.proc.send_signal(signal.SIGCONT)
        wait_until(station.real(slots[-1]) + 3)
        daemon.terminate()
    assert_clean_log(daemon)
    rows = rows_by_slot(station)
    long_row = rows[slot_ids(station, "long.wav")[0]]
    assert long_row["status"] == "interrupted", long_row
    assert "frozen" in str(long_row["reason"]), long_row
    heard = rec.recording.sound_between(station.real(slots[0]) - 0.5, frozen_at + 1)
    played = int(long_row["played_ms"]) / 1000  # type: ignore[call-overload]
    assert abs(played - heard) < 0.6, (played, heard)
    short = slot_ids(station, "b.wav")
    for airing_id in short[:2]:
        assert rows[airing_id]["status"] == "missed", rows[airing_id]
        assert "frozen" in str(rows[airing_id]["reason"])
    for airing_id, slot in zip(short[2:], slots[3:], strict=True):
        assert rows[airing_id]["status"] == "completed", rows[airing_id]
        assert heard_on_time(rec.recording, station.real(slot)) is not None
    # nothing aired in a burst after the freeze (libvlc may sound a few ms of the cut clip as
    # the process resumes, before the stop reaches it)
    resumed = frozen_at + 20
    residue = rec.recording.sound_between(frozen_at + 1, station.real(slots[3]) - 0.5)
    assert residue <= 0.3, f"{residue} s of sound after the daemon resumed at {resumed}"


# --------------------------------------------------------------------------- the clip itself


def test_a_catalogued_clip_replaced_on_disk_is_refused(pulse: PulseBench, tmp_path: Path) -> None:
    clips = {"spots/a.wav": (440, 1.5)}
    slots = [Slot(0, "spots/a.wav"), Slot(6, "spots/a.wav"), Slot(12, "spots/a.wav")]
    station = build_station(tmp_path / "st", clips, slots, lead_s=14)
    audio = station.root / "audio"
    source = make_audio(tmp_path / "src" / "a.wav", "sine=frequency=440:sample_rate=44100", 1.5)
    (audio / "spots" / "a.wav").unlink()
    env = {**os.environ, "PLAYOUT_DIR": str(station.root)}
    subprocess.run(
        [PLAYOUT, "library", "import", str(source), "--into", "spots"], env=env, check=True
    )
    assert (audio / "spots" / "a.wav").exists()
    other = make_audio(tmp_path / "other.wav", "sine=frequency=660:sample_rate=44100", 1.5)
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[0]) + 2)
        os.replace(other, audio / "spots" / "a.wav")  # another valid WAV takes its place
        wait_until(station.real(slots[1]) + 2)
        schedule = station.root / "schedules" / "station.yaml"
        text = schedule.read_text().replace(
            "late_grace: 5m", "late_grace: 5m, allow_unapproved: true"
        )
        schedule.write_text(text)
        assert daemon.wait_for("reloaded (a schedule file changed)", timeout=10), daemon.output()
        wait_until(station.real(slots[2]) + 2.5)
        daemon.terminate()
    assert_clean_log(daemon)
    rows = rows_by_slot(station)
    first, second, third = (rows[i] for i in slot_ids(station, "spots/a.wav"))
    catalogue = str(first["clip_sha256"])
    assert first["status"] == "completed"
    assert second["status"] == "failed" and "changed since import" in str(second["reason"])
    fallback = rows[f"{slot_ids(station, 'spots/a.wav')[1]}-fallback"]
    assert (fallback["status"], fallback["trigger"]) == ("completed", "fallback")
    onset = heard_on_time(rec.recording, station.real(slots[1]), tolerance=0.5)
    assert onset is not None and abs(dominant_frequency(rec.recording, onset) - 1200) < 30
    # allowed by the station: it airs, logged with the sha256 of what really played
    assert third["status"] == "completed" and "unapproved audio" in str(third["reason"])
    assert third["clip_sha256"] != catalogue and len(str(third["clip_sha256"])) == 64
    onset = heard_on_time(rec.recording, station.real(slots[2]))
    assert onset is not None and abs(dominant_frequency(rec.recording, onset) - 660) < 30
