"""Real faults injected into a real `playout run`, and the judge of what came out.

Each scenario starts a daemon on the null-sink bench, injects one fault the way it happens on
a district PC, and returns a :class:`FaultRun`: the station, the recordings, the daemon's log
and, for every planned airing, what must have become of it. :func:`evaluate` compares that
with what was heard and what was logged. The fault tests (``tests/test_faults_e2e.py``) run
each scenario once and assert a clean tally; ``bench/chaos_bench.py`` runs each N times and
prints the tallies.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

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

SHORT = {"a.wav": (440, 1.0)}
ON_TIME_S = 0.1


@dataclass(frozen=True)
class Expect:
    status: str = "completed"
    reason: str = ""  # a part of the logged reason
    freq: float | None = None  # what must be heard (Hz) when it airs


@dataclass
class FaultRun:
    station: E2EStation
    expect: dict[str, tuple[Slot, Expect]]  # airing id -> (slot, what must become of it)
    recordings: list[Recording]
    logs: list[str]
    real_offsets: dict[str, float] = field(default_factory=dict)  # airing id -> clock offset
    clips_s: dict[str, float] = field(default_factory=dict)
    allowed_onsets: list[float] = field(default_factory=list)  # fallbacks, residue, ...
    notes: dict[str, object] = field(default_factory=dict)

    def real(self, airing_id: str) -> float:
        slot, _ = self.expect[airing_id]
        offset = self.real_offsets.get(airing_id, self.station.clock_offset_s)
        return self.station.instant(slot).timestamp() - offset


@dataclass
class Tally:
    planned: int = 0
    to_air: int = 0
    heard_on_time: int = 0
    logged: int = 0
    logged_truly: int = 0
    lost: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in ("planned", "to_air", "heard_on_time", "logged", "logged_truly", "lost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)


def _onsets(run: FaultRun) -> list[float]:
    return sorted(o for rec in run.recordings for o in rec.onsets())


def _heard(run: FaultRun, real: float) -> tuple[Recording, float] | None:
    for rec in run.recordings:
        near = [o for o in rec.onsets() if abs(o - real) <= ON_TIME_S]
        if near:
            return rec, near[0]
    return None


def _sound(run: FaultRun, start: float, end: float) -> float:
    return sum(rec.sound_between(start, end) for rec in run.recordings)


def evaluate(run: FaultRun) -> Tally:
    """Heard on time, logged, logged truly (status, reason, start, seconds), lost, bursts."""
    tally = Tally()
    rows = as_run(run.station.db)
    ids = [str(r["airing_id"]) for r in rows]
    if len(ids) != len(set(ids)):
        tally.problems.append("an airing was logged twice")
    by_id = {str(r["airing_id"]): r for r in rows}
    expected_onsets = []
    for airing_id, (_slot, want) in run.expect.items():
        tally.planned += 1
        real = run.real(airing_id)
        row = by_id.get(airing_id)
        heard = _heard(run, real)
        if want.status == "interrupted":
            expected_onsets.append(real)  # it started on time, then the fault cut it
        if want.status == "completed":
            tally.to_air += 1
            expected_onsets.append(real)
            if heard is not None:
                tally.heard_on_time += 1
                if want.freq is not None:
                    rec, onset = heard
                    if abs(dominant_frequency(rec, onset) - want.freq) > 30:
                        tally.problems.append(f"{airing_id}: the wrong audio was heard")
            else:
                tally.problems.append(f"{airing_id}: not heard on time")
        if row is None:
            tally.lost += 1
            tally.problems.append(f"{airing_id}: no row (lost)")
            continue
        tally.logged += 1
        why = _untrue(run, row, want, heard, real)
        if why:
            tally.problems.append(f"{airing_id}: {why} ({row['status']}: {row['reason']})")
        else:
            tally.logged_truly += 1
    extra = [
        o
        for o in _onsets(run)
        if o > run.station.zero.timestamp() - run.station.clock_offset_s - 1
        and all(abs(o - e) > ON_TIME_S for e in expected_onsets)
        and all(abs(o - a) > 0.5 for a in run.allowed_onsets)
    ]
    if extra:
        tally.problems.append(f"{len(extra)} airing(s) heard at times nobody planned (a burst?)")
    for log in run.logs:
        if "Traceback" in log:
            tally.problems.append("a traceback in the daemon's log")
    return tally


def _untrue(
    run: FaultRun,
    row: dict[str, object],
    want: Expect,
    heard: tuple[Recording, float] | None,
    real: float,
) -> str:
    if row["status"] != want.status:
        return f"logged {row['status']}, expected {want.status}"
    if want.reason and want.reason not in str(row["reason"]):
        return f"the reason does not say {want.reason!r}"
    played = int(row["played_ms"]) / 1000  # type: ignore[call-overload]
    clip = run.clips_s.get(str(row["clip"]), 0.0)
    if want.status == "completed":
        if heard is None:
            return "logged completed but not heard"
        logged = parse_utc(str(row["actual_start"])).timestamp() - (_planned(run, row) - real)
        if abs(logged - heard[1]) > ON_TIME_S:
            return f"logged start is {logged - heard[1]:+.3f} s from the heard one"
        if abs(played - clip) > 0.2:
            return f"logged {played:.2f} s played of a {clip:.2f} s clip"
        if len(str(row["clip_sha256"])) != 64:
            return "no sha256 of the audio that played"
    if want.status == "interrupted" and row["actual_start"] is not None:
        start = parse_utc(str(row["actual_start"])).timestamp() - (_planned(run, row) - real)
        heard_s = _sound(run, start - 0.5, start + played + 1.0)
        if abs(played - heard_s) > 0.6:
            return f"logged {played:.1f} s played, {heard_s:.1f} s was heard"
    return ""


def _planned(run: FaultRun, row: dict[str, object]) -> float:
    """The planned start of a row in the daemon's own clock (unix seconds)."""
    return parse_utc(str(row["planned_start"])).timestamp()


# --------------------------------------------------------------------------- scenarios


@dataclass
class FaultEnv:
    pulse: PulseBench
    clockstep: Path  # the LD_PRELOAD library
    work: Path  # a fresh folder for this run


def build_clockstep(out_dir: Path) -> Path:
    out = out_dir / "clockstep.so"
    source = Path(__file__).parent / "native" / "clockstep.c"
    subprocess.run(
        ["cc", "-O2", "-shared", "-fPIC", "-o", str(out), str(source), "-ldl"], check=True
    )
    return out


def _stepped_env(env: FaultEnv, offset_s: float = 0.0) -> dict[str, str]:
    offset_file = env.work / "clock-offset"
    step_clock(offset_file, offset_s)
    return {"LD_PRELOAD": str(env.clockstep), "CLOCKSTEP_FILE": str(offset_file)}


def step_clock(offset_file: Path, offset_s: float) -> None:
    tmp = offset_file.with_suffix(".tmp")
    tmp.write_text(f"{offset_s:.3f}\n")
    tmp.replace(offset_file)


def wait_until(real_time: float) -> None:
    while time.time() < real_time:
        time.sleep(0.05)


def slot_ids(station: E2EStation, clip: str) -> list[str]:
    """Airing ids of the slots of one clip, in order (the campaign is c-<clip stem>)."""
    return [station.airing_id(s) for s in station.slots if s.clip == clip]


def _expect(station: E2EStation, judge: Callable[[Slot], Expect]) -> dict[str, tuple[Slot, Expect]]:
    result: dict[str, tuple[Slot, Expect]] = {}
    for clip in dict.fromkeys(s.clip for s in station.slots):
        slots = [s for s in station.slots if s.clip == clip]
        for airing_id, slot in zip(slot_ids(station, clip), slots, strict=True):
            result[airing_id] = (slot, judge(slot))
    return result


def _clip_seconds(clips: dict[str, tuple[int, float]]) -> dict[str, float]:
    return {name: seconds for name, (_, seconds) in clips.items()}


def machine_zone(env: FaultEnv) -> FaultRun:
    """A PC left on another zone, started at 22:59:38 station time: the days are the
    station's, and at 23:00 station time the day after tomorrow is planned."""
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    real_now = datetime.now(UTC)
    target = real_now.astimezone(tz).replace(hour=22, minute=59, second=38, microsecond=0)
    offset = (target - real_now).total_seconds()
    slots = [Slot(i * 5, "a.wav") for i in range(5)]
    station = build_station(
        env.work / "st", SHORT, slots, clock_offset_s=offset, tz="Asia/Ho_Chi_Minh", lead_s=6
    )
    extra = {**_stepped_env(env, offset), "TZ": "America/Los_Angeles"}
    with Recorder(env.pulse) as rec:
        daemon = DaemonProcess.start(station, env.pulse, env=extra)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[-1]) + 7)  # past 23:00 station time and a heartbeat
        daemon.terminate()
    conn = sqlite3.connect(station.db)
    days = sorted(d for (d,) in conn.execute("SELECT DISTINCT day FROM day_plans"))
    conn.close()
    today = station.zero.astimezone(tz).date()
    return FaultRun(
        station,
        _expect(station, lambda _s: Expect()),
        [rec.recording],
        [daemon.output()],
        clips_s=_clip_seconds(SHORT),
        notes={"days": days, "want_days": [str(today + timedelta(days=n)) for n in range(3)]},
    )


def _hold_exclusive(db: Path, seconds: float) -> subprocess.Popen[bytes]:
    code = (
        "import sqlite3, time\n"
        f"c = sqlite3.connect({str(db)!r}, isolation_level=None, timeout=30)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        f"time.sleep({seconds})\n"
        "c.execute('COMMIT')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"locked"
    return proc


def database_locked(env: FaultEnv) -> FaultRun:
    """Another process holds BEGIN EXCLUSIVE for 30 s while airings are due."""
    slots = [Slot(i * 4, "a.wav") for i in range(10)]
    station = build_station(env.work / "st", SHORT, slots, lead_s=6)
    with Recorder(env.pulse) as rec:
        daemon = DaemonProcess.start(station, env.pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[0]) - 1)
        locker = _hold_exclusive(station.db, 30)
        wait_until(station.real(slots[2]) + 2)
        backlog = request(station.db, "status")["as_run_backlog"]
        locker.wait(timeout=60)
        wait_until(station.real(slots[-1]) + 4)
        daemon.terminate()
    return FaultRun(
        station,
        _expect(station, lambda _s: Expect()),
        [rec.recording],
        [daemon.output()],
        clips_s=_clip_seconds(SHORT),
        notes={"backlog": backlog},
    )


def _fill(folder: Path) -> Path:
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


def disk_full(env: FaultEnv, mount: Path) -> FaultRun:
    """The database's file system fills up; the daemon is killed before it is freed."""
    slots = [Slot(i * 4, "a.wav") for i in range(4)]  # on the full disk
    slots += [Slot(24 + i * 4, "a.wav") for i in range(4)]  # after the restart
    station = build_station(mount / "st", SHORT, slots, lead_s=6)
    with Recorder(env.pulse) as rec:
        daemon = DaemonProcess.start(station, env.pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[0]) - 1)
        filler = _fill(mount)
        wait_until(station.real(slots[3]) + 2)  # four airings on a full disk
        daemon.kill9()  # and the process dies before the disk is freed
        filler.unlink()
        again = DaemonProcess.start(station, env.pulse)
        assert again.wait_for("on air: station"), again.output()
        wait_until(station.real(slots[-1]) + 3)
        again.terminate()
    return FaultRun(
        station,
        _expect(station, lambda _s: Expect()),
        [rec.recording],
        [daemon.output(), again.output()],
        clips_s=_clip_seconds(SHORT),
    )


def clock_back(env: FaultEnv) -> FaultRun:
    """The wall clock steps back an hour and returns 50 s later (NTP after a dead battery)."""
    slots = [Slot(i * 5, "a.wav") for i in range(17)]  # 0 .. 80 s
    station = build_station(env.work / "st", SHORT, slots, lead_s=6, make_good=False)
    extra = _stepped_env(env)
    with Recorder(env.pulse) as rec:
        daemon = DaemonProcess.start(station, env.pulse, env=extra)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[0]) + 7)
        step_clock(env.work / "clock-offset", -3600)
        wait_until(station.real(slots[0]) + 58.5)
        step_clock(env.work / "clock-offset", 0)
        time.sleep(1.5)
        upcoming = request(station.db, "status")["next"]
        wait_until(station.real(slots[-1]) + 3)
        daemon.terminate()

    def judge(slot: Slot) -> Expect:
        if 7 < slot.offset_s < 58.5:  # due while the clock was an hour behind
            return Expect("missed", "stepped forward")
        return Expect()

    return FaultRun(
        station,
        _expect(station, judge),
        [rec.recording],
        [daemon.output()],
        clips_s=_clip_seconds(SHORT),
        notes={"next": upcoming, "at": time.time()},
    )


def clock_forward(env: FaultEnv) -> FaultRun:
    """The wall clock steps forward an hour (and stays)."""
    before = [Slot(i * 5, "a.wav") for i in range(9)]  # 0 .. 40 s
    after = [Slot(3600 + 22 + i * 4, "a.wav") for i in range(3)]  # an hour on, daemon time
    station = build_station(
        env.work / "st", SHORT, before + after, lead_s=6, make_good=False, session_minutes=70
    )
    extra = _stepped_env(env)
    with Recorder(env.pulse) as rec:
        daemon = DaemonProcess.start(station, env.pulse, env=extra)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(before[0]) + 12)
        step_clock(env.work / "clock-offset", 3600)
        wait_until(station.real(after[-1]) - 3600 + 3)
        daemon.terminate()

    def judge(slot: Slot) -> Expect:
        if 12 < slot.offset_s < 3600:
            return Expect("missed", "stepped forward by 60 min")
        return Expect()

    expect = _expect(station, judge)
    offsets = {a: 3600.0 for a, (slot, _) in expect.items() if slot.offset_s > 12}
    return FaultRun(
        station,
        expect,
        [rec.recording],
        [daemon.output()],
        real_offsets=offsets,
        clips_s=_clip_seconds(SHORT),
        notes={"log_lines": len(daemon.lines)},
    )


def sound_server_killed(env: FaultEnv) -> FaultRun:
    """PulseAudio is killed 4 s into a 13 s airing and restarted on the same socket."""
    (env.work / "pulse").mkdir()
    bench = PulseBench(env.work / "pulse")  # its own server: the shared one stays up
    bench.start()
    clips = {"long.wav": (440, 13.0), "b.wav": (660, 1.5)}
    slots = [Slot(0, "long.wav"), Slot(16, "b.wav"), Slot(20, "b.wav")]
    station = build_station(env.work / "st", clips, slots, lead_s=6, make_good=False)
    try:
        daemon = DaemonProcess.start(station, bench)
        assert daemon.wait_for("on air: station"), daemon.output()
        with Recorder(bench) as first:
            wait_until(station.real(slots[0]) + 4)
        bench.stop()
        time.sleep(1.0)
        bench.start()
        with Recorder(bench) as second:
            wait_until(station.real(slots[-1]) + 3)
        daemon.terminate()
    finally:
        bench.stop()

    def judge(slot: Slot) -> Expect:
        if slot.clip == "long.wav":
            return Expect("interrupted", "audio output failed")
        return Expect(freq=660)

    return FaultRun(
        station,
        _expect(station, judge),
        [first.recording, second.recording],
        [daemon.output()],
        clips_s=_clip_seconds(clips),
    )


def frozen(env: FaultEnv) -> FaultRun:
    """The daemon is frozen (SIGSTOP) for 20 s, 3 s into a 13 s airing."""
    clips = {"long.wav": (440, 13.0), "b.wav": (660, 1.0)}
    slots = [Slot(0, "long.wav"), Slot(10, "b.wav"), Slot(15, "b.wav")]
    slots += [Slot(30, "b.wav"), Slot(34, "b.wav")]
    station = build_station(env.work / "st", clips, slots, lead_s=6, make_good=False)
    with Recorder(env.pulse) as rec:
        daemon = DaemonProcess.start(station, env.pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[0]) + 3)
        daemon.proc.send_signal(signal.SIGSTOP)
        frozen_at = time.time()
        time.sleep(20)
        daemon.proc.send_signal(signal.SIGCONT)
        wait_until(station.real(slots[-1]) + 3)
        daemon.terminate()

    def judge(slot: Slot) -> Expect:
        if slot.clip == "long.wav":
            return Expect("interrupted", "frozen")
        if slot.offset_s < 25:
            return Expect("missed", "frozen")
        return Expect(freq=660)

    resumed = frozen_at + 20
    return FaultRun(
        station,
        _expect(station, judge),
        [rec.recording],
        [daemon.output()],
        clips_s=_clip_seconds(clips),
        # libvlc may sound a few ms of the cut clip as the process resumes
        allowed_onsets=[resumed],
        notes={
            "residue_s": rec.recording.sound_between(frozen_at + 1, station.real(slots[3]) - 0.5)
        },
    )


def clip_replaced(env: FaultEnv) -> FaultRun:
    """A catalogued clip is replaced on disk by another valid WAV; later the station allows
    unapproved audio."""
    clips = {"spots/a.wav": (440, 1.5)}
    slots = [Slot(0, "spots/a.wav"), Slot(6, "spots/a.wav"), Slot(16, "spots/a.wav")]
    station = build_station(env.work / "st", clips, slots, lead_s=14)
    audio = station.root / "audio"
    source = make_audio(env.work / "src" / "a.wav", "sine=frequency=440:sample_rate=44100", 1.5)
    (audio / "spots" / "a.wav").unlink()
    sub_env = {**os.environ, "PLAYOUT_DIR": str(station.root)}
    subprocess.run(
        [PLAYOUT, "library", "import", str(source), "--into", "spots"],
        env=sub_env,
        check=True,
        capture_output=True,
    )
    other = make_audio(env.work / "other.wav", "sine=frequency=660:sample_rate=44100", 1.5)
    with Recorder(env.pulse) as rec:
        daemon = DaemonProcess.start(station, env.pulse)
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
    verdicts = {
        0: Expect(freq=440),
        6: Expect("failed", "changed since import"),
        16: Expect(reason="unapproved audio", freq=660),
    }
    run = FaultRun(
        station,
        _expect(station, lambda s: verdicts[int(s.offset_s)]),
        [rec.recording],
        [daemon.output()],
        clips_s=_clip_seconds(clips),
        allowed_onsets=[station.real(slots[1])],  # the fallback plays in its place
    )
    return run


def database_deleted(env: FaultEnv) -> FaultRun:
    """``rm var/playout.db`` while the daemon runs (between two airings); later a restart.
    The daemon puts the file back with every row at its next heartbeat, and the restart airs
    nothing again."""
    clips = {"a.wav": (440, 1.5)}
    slots = [Slot(0, "a.wav"), Slot(4, "a.wav"), Slot(14, "a.wav")]
    station = build_station(env.work / "st", clips, slots, lead_s=6)
    with Recorder(env.pulse) as rec:
        daemon = DaemonProcess.start(station, env.pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[0]) + 2)
        station.db.unlink()  # the next airing is written into the lost file
        wait_until(station.real(slots[2]) + 2.5)
        daemon.terminate()
        again = DaemonProcess.start(station, env.pulse)
        assert again.wait_for("on air: station"), again.output()
        time.sleep(2.0)  # what the log lost would air again now, late
        again.terminate()
    return FaultRun(
        station,
        _expect(station, lambda _s: Expect(freq=440)),
        [rec.recording],
        [daemon.output(), again.output()],
        clips_s=_clip_seconds(clips),
        notes={"restored": daemon.output().count("was deleted while the daemon ran")},
    )


def saves_renumber(env: FaultEnv) -> FaultRun:
    """An operator saves the schedule 9 times 2.4 s apart while it airs, each save adding or
    removing an earlier 'at' time (so numbering the day's times in order would rename every
    later one): each slot airs once, on time, with one row."""
    clips = {"a.wav": (440, 0.8)}
    slots = [Slot(3 * i, "a.wav") for i in range(8)]
    station = build_station(env.work / "st", clips, slots, lead_s=6)
    settings = station.root / "schedules" / "station.yaml"
    plain = settings.read_text(encoding="utf-8")
    early = (station.zero - timedelta(seconds=60)).astimezone(ZoneInfo(station.tz))
    edited = plain.replace('at: ["', f'at: ["{early:%H:%M:%S}", "', 1)
    assert edited != plain
    with Recorder(env.pulse) as rec:
        daemon = DaemonProcess.start(station, env.pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        for n in range(9):
            settings.write_text(edited if n % 2 == 0 else plain, encoding="utf-8")
            time.sleep(2.4)
        wait_until(station.real(slots[-1]) + 2)
        daemon.terminate()
    return FaultRun(
        station,
        _expect(station, lambda _s: Expect(freq=440)),
        [rec.recording],
        [daemon.output()],
        clips_s=_clip_seconds(clips),
        notes={"reloads": daemon.output().count("reloaded (a schedule file changed)")},
    )


def killed_mid_airing(env: FaultEnv) -> FaultRun:
    """kill -9 two seconds into an airing (between two heartbeats), restarted at once: the cut
    airing is logged with what was really heard, the next airs on time."""
    clips = {"a.wav": (440, 6.0)}
    slots = [Slot(0, "a.wav"), Slot(14, "a.wav")]
    station = build_station(env.work / "st", clips, slots, lead_s=6)
    with Recorder(env.pulse) as rec:
        daemon = DaemonProcess.start(station, env.pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[0]) + 2.0)
        daemon.kill9()
        again = DaemonProcess.start(station, env.pulse)
        assert again.wait_for("on air: station"), again.output()
        wait_until(station.real(slots[1]) + 7)
        again.terminate()
    verdicts = {0: Expect("interrupted", "power cut or crash"), 14: Expect(freq=440)}
    return FaultRun(
        station,
        _expect(station, lambda s: verdicts[int(s.offset_s)]),
        [rec.recording],
        [daemon.output(), again.output()],
        clips_s=_clip_seconds(clips),
    )


def first_start_late(env: FaultEnv) -> FaultRun:
    """The very first start on a new database, 14 s after an airing's time (well within
    late_grace): that airing was never due (the station did not exist), it is neither aired
    late nor logged; the next airs on time."""
    clips = {"a.wav": (440, 1.0)}
    slots = [Slot(-20, "a.wav"), Slot(4, "a.wav")]
    station = build_station(env.work / "st", clips, slots, lead_s=6)
    before = station.airing_id(slots[0])
    station.slots = [slots[1]]  # what the judge expects: only what was due
    with Recorder(env.pulse) as rec:
        daemon = DaemonProcess.start(station, env.pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        wait_until(station.real(slots[1]) + 2.5)
        daemon.terminate()
    return FaultRun(
        station,
        _expect(station, lambda _s: Expect(freq=440)),
        [rec.recording],
        [daemon.output()],
        clips_s=_clip_seconds(clips),
        notes={"rows_before": sum(r["airing_id"] == before for r in as_run(station.db))},
    )


def second_daemon_via_symlink(env: FaultEnv) -> FaultRun:
    """A second `playout run` given a symlink to the running daemon's database (and a log
    file): it is refused (exit 3) and nothing airs twice; the log file holds the daemon's own
    lines."""
    clips = {"a.wav": (440, 1.0)}
    slots = [Slot(0, "a.wav"), Slot(5, "a.wav")]
    station = build_station(env.work / "st", clips, slots, lead_s=6)
    link = env.work / "elsewhere" / "link.db"
    link.parent.mkdir(parents=True)
    log_file = env.work / "log" / "playout.log"
    with Recorder(env.pulse) as rec:
        daemon = DaemonProcess.start(station, env.pulse, "--log-file", str(log_file))
        assert daemon.wait_for("on air: station"), daemon.output()
        link.symlink_to(station.db)
        second = DaemonProcess.start(station, env.pulse, global_args=("--db", str(link)))
        try:
            code = second.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill9()
            code = -9
        wait_until(station.real(slots[1]) + 2.5)
        daemon.terminate()
    screen = [x.split(": ", 1)[-1] for x in daemon.lines if " playout.daemon: " in x]
    lines = log_file.read_text(encoding="utf-8").splitlines()
    in_file = [x.split(": ", 1)[-1] for x in lines if " playout.daemon: " in x]
    return FaultRun(
        station,
        _expect(station, lambda _s: Expect(freq=440)),
        [rec.recording],
        [daemon.output(), second.output()],
        clips_s=_clip_seconds(clips),
        notes={
            "second_exit": code,
            "file_has_screen_lines": bool(screen) and screen == in_file,
        },
    )


SCENARIOS: dict[str, Callable[[FaultEnv], FaultRun]] = {
    "machine zone far from the station's": machine_zone,
    "database locked 30 s": database_locked,
    "wall clock back 1 h, right 50 s later": clock_back,
    "wall clock forward 1 h": clock_forward,
    "sound server killed mid-airing": sound_server_killed,
    "daemon frozen 20 s mid-airing": frozen,
    "clip replaced on disk": clip_replaced,
    "database file deleted": database_deleted,
    "saves that renumber the day": saves_renumber,
    "killed mid-airing, restarted": killed_mid_airing,
    "first start, an airing just passed": first_start_late,
    "a second daemon through a symlink": second_daemon_via_symlink,
}
