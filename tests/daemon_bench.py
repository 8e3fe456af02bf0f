"""Helpers to run a real `playout run` process on a generated station, and to read the result."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from tests.audio_bench import RATE, PulseBench, Recording
from tests.helpers import make_audio

PLAYOUT = str(Path(sys.executable).parent / "playout")


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone in which it is about noon now, so a test session never crosses
    midnight."""
    shift = 12 - now.astimezone(UTC).hour
    shift = max(min(shift, 12), -11)
    return "Etc/GMT" + (f"{-shift:+d}" if shift else "")


@dataclass
class Slot:
    offset_s: float  # seconds after the reference instant
    clip: str


@dataclass
class E2EStation:
    root: Path
    zero: datetime  # the reference instant (UTC, whole second)
    slots: list[Slot]
    tz: str
    db: Path
    clock_offset_s: float = 0.0  # the daemon's wall clock minus the real one

    def real(self, slot: Slot) -> float:
        """The real (recording) time of a slot, for a daemon whose clock runs at an offset."""
        return self.instant(slot).timestamp() - self.clock_offset_s

    def instant(self, slot: Slot) -> datetime:
        return self.zero + timedelta(seconds=slot.offset_s)

    def airing_id(self, slot: Slot) -> str:
        """The planner's id of a slot: day, campaign (c-<clip stem>) and its 'at' time."""
        from zoneinfo import ZoneInfo

        local = self.instant(slot).astimezone(ZoneInfo(self.tz))
        at = f"{local:%H%M%S}" if local.second else f"{local:%H%M}"
        return f"{local:%Y%m%d}-c-{Path(slot.clip).stem}-{at}"


def build_station(
    root: Path,
    clips: dict[str, tuple[int, float]],
    slots: list[Slot],
    *,
    lead_s: float = 6.0,
    fallback: tuple[int, float] | None = (1200, 0.8),
    audio: str = "",
    make_good: bool = True,
    database: str = "var/playout.db",
    clock_offset_s: float = 0.0,
    tz: str | None = None,
    session_minutes: int = 40,
    hub: str = "",
) -> E2EStation:
    """Clips {name: (frequency, seconds)}; each slot airs at zero + offset (zero = now + lead).

    Offsets are whole seconds: 'at' times in a schedule have a resolution of one second."""
    assert all(float(s.offset_s).is_integer() for s in slots), "offsets must be whole seconds"
    for name, (freq, seconds) in clips.items():
        make_audio(root / "audio" / name, f"sine=frequency={freq}:sample_rate=44100", seconds)
    if fallback is not None:
        make_audio(
            root / "audio" / "fallback.wav",
            f"sine=frequency={fallback[0]}:sample_rate=44100",
            fallback[1],
        )
    now = datetime.now(UTC) + timedelta(seconds=clock_offset_s)  # the daemon's clock
    zero = (now + timedelta(seconds=lead_s)).replace(microsecond=0) + timedelta(seconds=1)
    tz = tz or midday_zone(now)
    from zoneinfo import ZoneInfo

    local = zero.astimezone(ZoneInfo(tz))
    start = (local - timedelta(minutes=2)).strftime("%H:%M:%S")
    end = (local + timedelta(minutes=session_minutes)).strftime("%H:%M:%S")
    by_clip: dict[str, list[str]] = {}
    for slot in slots:
        t = (zero + timedelta(seconds=slot.offset_s)).astimezone(ZoneInfo(tz))
        by_clip.setdefault(slot.clip, []).append(t.strftime("%H:%M:%S"))
    campaigns = "".join(
        f"""
  - id: c-{Path(clip).stem}
    clip: {clip}
    from: {local:%d/%m/%Y}
    make_good: {"true" if make_good else "false"}
    at: [{", ".join(f'"{t}"' for t in times)}]
"""
        for clip, times in by_clip.items()
    )
    fallback_line = "  fallback_clip: fallback.wav\n" if fallback is not None else ""
    if hub:  # "URL TOKEN": the station uploads to that hub every 10 s
        url, token = hub.split()
        (root / "hub.token").write_text(token + "\n", encoding="utf-8")
        (root / "hub.token").chmod(0o600)
        fallback_line += f"  hub: {{url: '{url}', token_file: hub.token, every: 10s}}\n"
    (root / "schedules").mkdir(parents=True, exist_ok=True)
    (root / "schedules" / "station.yaml").write_text(
        f"""
station:
  id: test/e2e
  name: "Đài thử nghiệm"
  timezone: {tz}
  database: {database}
{fallback_line}  audio: {{output: pulse, latency: 5ms, cue_ahead: 2s, late_grace: 5m{audio}}}
sessions:
  all: {{start: "{start}", end: "{end}"}}
campaigns:{campaigns}
""",
        encoding="utf-8",
    )
    return E2EStation(root, zero, slots, tz, root / database, clock_offset_s)


@dataclass
class DaemonProcess:
    proc: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        station: E2EStation,
        pulse: PulseBench,
        *args: str,
        env: dict[str, str] | None = None,
        prefix: tuple[str, ...] = (),
        global_args: tuple[str, ...] = (),
    ) -> DaemonProcess:
        # the daemon's English lines are what the benches and tests wait for and count
        env = {
            **os.environ,
            **pulse.env(),
            "PLAYOUT_DIR": str(station.root),
            "PLAYOUT_LANG": "en",
            **(env or {}),
        }
        env.pop("PLAYOUT_DB", None)
        proc = subprocess.Popen(
            [*prefix, PLAYOUT, *global_args, "run", "--log-level", "info", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        daemon = cls(proc)
        threading.Thread(target=daemon._read, daemon=True).start()
        return daemon

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            if self.proc.poll() is not None:
                time.sleep(0.2)
                return any(text in line for line in self.lines)
            time.sleep(0.02)
        return False

    def output(self) -> str:
        return "\n".join(self.lines)

    def threads(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(next(x for x in status.splitlines() if x.startswith("Threads:")).split()[1])

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(next(x for x in status.splitlines() if x.startswith("VmRSS:")).split()[1]) / 1024

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def terminate(self, timeout: float = 10) -> float:
        """SIGTERM; returns how long the process took to exit."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        return time.monotonic() - started

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


def as_run(db: Path) -> list[dict[str, object]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute("SELECT * FROM airings ORDER BY planned_start, id").fetchall()
        return [dict(r) for r in rows]
    finally:
        conn.close()


def integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def parse_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def dominant_frequency(recording: Recording, at: float, span: float = 0.2) -> float:
    x, t = recording.samples()
    sel = x[(t >= at + 0.02) & (t < at + 0.02 + span)]
    if len(sel) < 256:
        return 0.0
    spectrum = np.abs(np.fft.rfft(sel * np.hanning(len(sel))))
    return float(np.argmax(spectrum) * RATE / len(sel))
