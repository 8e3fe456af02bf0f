"""Operator control of a real running daemon: channel, reload, level, announce, pause, watchdog."""

from __future__ import annotations

import getpass
import os
import socket
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from playout.daemon.control import ControlError, address_for, authkey_for, request
from tests.audio_bench import PulseBench, Recorder
from tests.daemon_bench import (
    PLAYOUT,
    DaemonProcess,
    Slot,
    as_run,
    build_station,
    dominant_frequency,
)
from tests.helpers import make_audio

pytestmark = pytest.mark.slow


def test_control_channel_rejects_garbage_and_wrong_keys(pulse: PulseBench, tmp_path: Path) -> None:
    station = build_station(tmp_path / "st", {"a.wav": (440, 1.0)}, [Slot(30, "a.wav")])
    env = {**os.environ, "PLAYOUT_DIR": str(station.root)}
    # no daemon yet: a clear message and exit 3, at once
    started = time.monotonic()
    proc = subprocess.run([PLAYOUT, "status"], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 3 and time.monotonic() - started < 10
    assert "no daemon has run for this station yet" in proc.stderr
    daemon = DaemonProcess.start(station, pulse)
    assert daemon.wait_for("on air: station"), daemon.output()
    try:
        address, family = address_for(station.db)
        key = authkey_for(station.db, create=False)
        # garbage from an authenticated client: an error reply, the daemon lives on
        for garbage in (b"\x00\xff not json", b"[1, 2]", b'{"cmd": 5}', b'{"cmd": "x", "args": 3}'):
            conn = Client(address, family, authkey=key)
            conn.send_bytes(garbage)
            assert b'"ok": false' in conn.recv_bytes()
            conn.close()
        with pytest.raises(ControlError, match="unknown command 'format-disk'"):
            request(station.db, "format-disk")
        # a wrong key is refused
        with pytest.raises((AuthenticationError, EOFError, ConnectionError)):
            Client(address, family, authkey=b"not the key").send_bytes(b'{"cmd": "ping"}')
        # a connection that says nothing does not block the others
        silent = socket.socket(socket.AF_UNIX)
        silent.connect(address)
        assert request(station.db, "ping") == "pong"
        silent.close()
        assert "malformed control message" in daemon.output()
        assert "control connection refused" in daemon.output()
        proc = subprocess.run(
            [PLAYOUT, "status"], capture_output=True, text=True, env=env, check=False
        )
        assert proc.returncode == 0, proc.stderr
        assert "station test/e2e" in proc.stdout and "ON AIR   nothing" in proc.stdout
    finally:
        daemon.terminate()
    proc = subprocess.run([PLAYOUT, "status"], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 3
    assert "no playout daemon is running for this station" in proc.stderr


def test_reload_20_times_during_playback_never_interrupts(
    pulse: PulseBench, tmp_path: Path
) -> None:
    clips = {"long.wav": (440, 40.0), "b.wav": (880, 1.0)}
    station = build_station(tmp_path / "st", clips, [Slot(0, "long.wav")], lead_s=5)
    yaml = station.root / "schedules" / "station.yaml"
    base = yaml.read_text(encoding="utf-8")
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        assert daemon.wait_for("on air 20", timeout=15)
        valid_times = []
        for i in range(20):
            if i % 3 == 2:  # an invalid edit: the last good plan stays
                yaml.write_text(base + "bogus_key: 1\n", encoding="utf-8")
                result = request(station.db, "reload")
                assert result["ok"] is False
                status = request(station.db, "status")
                assert status["last_reload"]["ok"] is False
                assert any('unknown key "bogus_key"' in e for e in status["last_reload"]["errors"])
            else:  # a valid edit: a new airing of b.wav a little later
                at = station.zero + timedelta(seconds=60 + 5 * i)
                local = at.astimezone(ZoneInfo(station.tz))
                valid_times.append(local.strftime("%H:%M:%S"))
                extra = (
                    f"  - id: c-extra\n    clip: b.wav\n    from: {local:%d/%m/%Y}\n"
                    f'    at: ["{valid_times[-1]}"]\n'
                )
                yaml.write_text(base + extra, encoding="utf-8")
                assert request(station.db, "reload")["ok"] is True
                status = request(station.db, "status")
                assert any(
                    n["campaign"] == "c-extra" and n["start"][11:19] == valid_times[-1]
                    for n in status["next"]
                ), status["next"]
            assert request(station.db, "status")["on_air"]["clip"] == "long.wav"
        daemon.terminate()
    (long_row,) = [r for r in as_run(station.db) if r["clip"] == "long.wav"]
    assert long_row["status"] == "interrupted"  # only by the final SIGTERM...
    assert long_row["reason"] == "the daemon was stopped during the airing"
    start = station.instant(Slot(0, "long.wav")).timestamp()
    stopped = start + int(long_row["played_ms"]) / 1000  # type: ignore[call-overload]
    heard = rec.recording.sound_between(start, stopped - 0.1)
    assert heard >= (stopped - start) - 0.3, "the sound never stopped during the reloads"


def test_level_announce_and_pause(pulse: PulseBench, tmp_path: Path) -> None:
    clips = {"long.wav": (440, 30.0), "later.wav": (660, 1.0)}
    slots = [Slot(0, "long.wav"), Slot(45, "later.wav")]
    station = build_station(tmp_path / "st", clips, slots, lead_s=5)
    yaml = station.root / "schedules" / "station.yaml"
    zone = ZoneInfo(station.tz)
    day = station.zero.astimezone(zone)
    yaml.write_text(
        yaml.read_text(encoding="utf-8")
        + f"  - id: spread\n    clip: later.wav\n    from: {day:%d/%m/%Y}\n    per_day: 2\n"
        "    levels: {2: {per_day: 6}}\n",
        encoding="utf-8",
    )
    alert = make_audio(tmp_path / "alert.wav", "sine=frequency=1500:sample_rate=44100", 1.0)
    env = {**os.environ, "PLAYOUT_DIR": str(station.root)}
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse)
        assert daemon.wait_for("on air: station"), daemon.output()
        assert request(station.db, "status")["today"]["spread"]["planned"] == 2
        proc = subprocess.run(
            [PLAYOUT, "level", "2", "--reason", "outbreak"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        status = request(station.db, "status")
        assert status["level"] == 2
        assert status["today"]["spread"]["planned"] == 6
        assert daemon.wait_for("on air 20", timeout=15)
        time.sleep(2)
        asked = time.time()  # from the request reaching the daemon, not the CLI's start-up
        request(
            station.db,
            "announce",
            {"clip": str(alert), "mode": "now"},
            operator=getpass.getuser(),
        )
        time.sleep(2.5)
        proc = subprocess.run(
            [PLAYOUT, "announce", str(alert), "--next-break"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0 and "announcement queued" in proc.stdout, proc.stderr
        time.sleep(2.5)
        until = datetime.now(UTC) + timedelta(seconds=60)
        request(station.db, "pause", {"until": until.isoformat()})
        while time.time() < station.instant(slots[1]).timestamp() + 2:
            time.sleep(0.2)
        daemon.terminate()
    # the announcement was heard within 500 ms of the request
    heard = next(
        (
            asked + k * 0.02
            for k in range(150)
            if abs(dominant_frequency(rec.recording, asked + k * 0.02, span=0.05) - 1500) < 60
        ),
        None,
    )
    assert heard is not None and heard - asked <= 0.5, heard and heard - asked
    rows = {str(r["airing_id"]): r for r in as_run(station.db)}
    long_row = next(r for r in rows.values() if r["clip"] == "long.wav")
    assert long_row["status"] == "interrupted"
    assert long_row["reason"] == "interrupted by an emergency announcement"
    announcement = next(r for r in rows.values() if r["trigger"] == "emergency")
    assert announcement["status"] == "completed"
    assert announcement["operator"] == getpass.getuser()
    queued = next(r for r in rows.values() if r["trigger"] == "priority")
    assert queued["status"] == "completed"
    later = next(r for r in rows.values() if str(r["airing_id"]).endswith("c-later-01"))
    assert later["status"] == "skipped" and "paused until" in str(later["reason"])
    conn = sqlite3.connect(station.db)
    levels = conn.execute("SELECT level, reason, operator FROM alert_levels").fetchall()
    conn.close()
    assert levels == [(2, "outbreak", getpass.getuser())]


def test_watchdog_and_ready_and_a_dead_output(pulse: PulseBench, tmp_path: Path) -> None:
    """No sound server at all: every airing fails, status says since when, and once the output
    has been dead longer than output_dead_restart the watchdog is no longer fed (so systemd
    restarts the service)."""
    slots = [Slot(2 + 3 * i, "a.wav") for i in range(8)]
    station = build_station(
        tmp_path / "st", {"a.wav": (440, 1.0)}, slots, audio=", output_dead_restart: 3s"
    )
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.5)
    messages: list[tuple[float, str]] = []
    done = threading.Event()

    def listen() -> None:
        while not done.is_set():
            try:
                messages.append((time.monotonic(), sock.recv(4096).decode()))
            except TimeoutError:
                continue

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    env = {
        "NOTIFY_SOCKET": path,
        "WATCHDOG_USEC": "2000000",
        "PULSE_SERVER": f"unix:{tmp_path}/no-such-server",
    }
    daemon = DaemonProcess.start(station, pulse, env=env)
    try:
        assert daemon.wait_for("on air: station"), daemon.output()
        assert any(m.startswith("READY=1") for _, m in messages)
        assert daemon.wait_for("the audio output does not work", timeout=30), daemon.output()
        dead = time.monotonic()
        assert sum(m == "WATCHDOG=1" for t, m in messages if t < dead) >= 2
        status = request(station.db, "status")
        assert status["output_dead_since"] is not None
        time.sleep(12)  # 3 s dead allowed, then at most one heartbeat (5 s) to notice
        late = [t for t, m in messages if m == "WATCHDOG=1" and t > dead + 9]
        assert late == [], "the watchdog must stop when the output stays dead"
        assert "not telling the watchdog" in daemon.output()
        assert "the audio output has not worked since" in daemon.output()
        status = request(station.db, "status")
        assert any("audio output" in p for p in status["problems"])
    finally:
        done.set()
        daemon.kill9()
        listener.join(timeout=5)
        sock.close()
    failed = [r for r in as_run(station.db) if r["status"] == "failed"]
    assert failed and all("no audio reached the output" in str(r["reason"]) for r in failed)
