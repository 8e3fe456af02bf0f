"""Operator control of a real running daemon: channel, reload, level, announce, pause, watchdog."""

from __future__ import annotations

import contextlib
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
        refused = subprocess.run(  # the daemon's refusal, in the operator's words
            [PLAYOUT, "--lang", "vi", "announce", "khong-co.wav", "--next-break"],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "không phát thông báo khong-co.wav được" in refused.stderr, refused.stderr
        assert "cannot" not in refused.stderr and "does not exist" not in refused.stderr
        time.sleep(1.5)
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
    later = next(
        r for r in rows.values() if (r["campaign"], r["trigger"]) == ("c-later", "schedule")
    )
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
        # and the operator reads it in Vietnamese (the daemon sends the message, not its text)
        said = run_cli(station.root, "--lang", "vi", "status")
        assert "đầu ra âm thanh không hoạt động từ" in said.stdout, said.stdout + said.stderr
    finally:
        done.set()
        daemon.kill9()
        listener.join(timeout=5)
        sock.close()
    failed = [r for r in as_run(station.db) if r["status"] == "failed"]
    assert failed and all("no audio reached the output" in str(r["reason"]) for r in failed)


def run_cli(station_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PLAYOUT_DIR": str(station_root)}
    env.pop("PLAYOUT_DB", None)
    return subprocess.run(
        [PLAYOUT, *args], capture_output=True, text=True, env=env, check=False, timeout=60
    )


@pytest.mark.parametrize(
    "breakage", ["bad yaml", "nul byte", "5.5 MB file", "huge min_gap"], ids=lambda b: b
)
def test_status_and_reload_work_while_the_schedule_is_broken(
    pulse: PulseBench, tmp_path: Path, breakage: str
) -> None:
    station = build_station(tmp_path / "st", {"a.wav": (440, 1.0)}, [Slot(60, "a.wav")])
    daemon = DaemonProcess.start(station, pulse)
    assert daemon.wait_for("on air: station"), daemon.output()
    path = station.root / "schedules" / "station.yaml"
    good = path.read_text()
    try:
        if breakage == "bad yaml":
            path.write_text(good + "\ncampaigns: [oops\n")
        elif breakage == "nul byte":
            lines = good.splitlines(keepends=True)
            lines[3] = lines[3][:2] + "\0" + lines[3][2:]
            path.write_text("".join(lines))
        elif breakage == "5.5 MB file":
            path.write_text(good + "#" + "x" * 5_500_000 + "\n")
        else:
            path.write_text(
                good.replace("make_good: true", "make_good: true\n    min_gap: 1000000000d")
            )
        assert daemon.wait_for("refused, the last good plan stays", timeout=15), daemon.output()
        proc = run_cli(station.root, "status")
        assert proc.returncode == 1, proc.stderr  # on air, but the reload needs the operator
        assert "FAILED" in proc.stdout and "station.yaml:" in proc.stdout, proc.stdout
        if breakage == "bad yaml":  # the operator's language: the daemon's problems too
            vi = run_cli(station.root, "--lang", "vi", "status")
            assert vi.returncode == 1, vi.stderr
            for said in ("THẤT BẠI", "station.yaml:", "lỗi: không đọc được phần trong [ ]"):
                assert said in vi.stdout, vi.stdout
            assert "ON AIR" not in vi.stdout and "error:" not in vi.stdout, vi.stdout
        elsewhere = run_cli(station.root.parent, "status")  # not a station folder
        assert elsewhere.returncode == 1 and "is not a station folder" in elsewhere.stderr
        reload = run_cli(station.root, "reload")
        assert reload.returncode == 1 and "station.yaml:" in reload.stdout + reload.stderr
        assert "Traceback" not in daemon.output()
    finally:
        path.write_text(good)
        daemon.terminate()
    assert not (station.root / ".playout-daemon.json").exists(), "removed at a clean stop"


def test_silent_clients_are_cut_off_and_bounded(pulse: PulseBench, tmp_path: Path) -> None:
    station = build_station(tmp_path / "st", {"a.wav": (440, 1.0)}, [Slot(120, "a.wav")])
    # a silent client is cut off after handshake_s (10 s by default; 2 s here, set the way a
    # maintainer sets it)
    daemon = DaemonProcess.start(station, pulse, env={"PLAYOUT_TIMINGS": "handshake_s=2"})
    assert daemon.wait_for("on air: station"), daemon.output()
    address, _family = address_for(station.db)
    try:
        time.sleep(1)
        threads_before, rss_before = daemon.threads(), daemon.rss_mb()
        clients = []
        for _ in range(200):
            s = socket.socket(socket.AF_UNIX)
            s.connect(address)
            clients.append(s)
        time.sleep(2)
        assert daemon.threads() <= threads_before + 10, "connections are bounded"
        time.sleep(2)
        # every silent client has been cut off by now (EOF on its socket)
        closed = 0
        for s in clients:
            s.settimeout(0.5)
            try:
                while s.recv(4096):
                    pass
                closed += 1
            except (TimeoutError, ConnectionResetError):
                pass
        assert closed == len(clients), f"{len(clients) - closed} silent clients still connected"
        assert request(station.db, "ping") == "pong"
        assert daemon.threads() <= threads_before + 2
        assert daemon.rss_mb() < rss_before + 20, "memory stays flat"
        for s in clients:
            s.close()
    finally:
        daemon.terminate()
    assert "Traceback" not in daemon.output()


def test_out_of_file_descriptors_backs_off_and_the_watcher_lives(
    pulse: PulseBench, tmp_path: Path
) -> None:
    station = build_station(tmp_path / "st", {"a.wav": (440, 1.0)}, [Slot(120, "a.wav")])
    daemon = DaemonProcess.start(station, pulse, prefix=("prlimit", "--nofile=64:64", "--"))
    assert daemon.wait_for("on air: station"), daemon.output()
    address, _family = address_for(station.db)
    clients = []
    try:
        cpu_before = daemon.cpu_s()
        for _ in range(60):
            s = socket.socket(socket.AF_UNIX)
            s.setblocking(False)
            with contextlib.suppress(BlockingIOError, ConnectionRefusedError):
                s.connect(address)
            clients.append(s)
        time.sleep(12)
        cpu = daemon.cpu_s() - cpu_before
        for s in clients:
            s.close()
        lines = [x for x in daemon.lines if "control" in x]
        assert len(lines) < 100, f"{len(lines)} control log lines: the log is flooded"
        assert cpu < 4, f"{cpu:.1f} CPU-seconds in 12 s: the accept loop spins"
        # the watcher still reloads on edits, and status answers
        path = station.root / "schedules" / "station.yaml"
        path.write_text(path.read_text() + "\n# edited\n")
        assert daemon.wait_for("reloaded (a schedule file changed)", timeout=15), daemon.output()
        assert request(station.db, "ping") == "pong"
    finally:
        for s in clients:
            s.close()
        daemon.terminate()
    assert "Traceback" not in daemon.output()
