"""``playout doctor``: the clock parsers as tables of tool outputs, and the whole command on the
sample station with real libvlc (the test tone plays on the test sound server) and ffmpeg."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from playout.doctor import parse_chrony, parse_timedatectl, parse_w32tm
from tests.audio_bench import PulseBench
from tests.daemon_bench import PLAYOUT
from tests.history import SAMPLE


@pytest.mark.parametrize(
    ("text", "synced"),
    [
        ("NTPSynchronized=yes\nNTP=yes\n", True),
        ("NTP=yes\nNTPSynchronized=no\n", False),
        ("", None),
        ("System has not been booted with systemd", None),
    ],
)
def test_timedatectl(text: str, synced: bool | None) -> None:
    assert parse_timedatectl(text) is synced


CHRONY = """Reference ID    : C0A80101 (router.lan)
Stratum         : 3
System time     : 0.000123456 seconds {way} of NTP time
Leap status     : {leap}
"""


@pytest.mark.parametrize(
    ("way", "leap", "synced", "offset"),
    [
        ("fast", "Normal", True, 0.000123456),
        ("slow", "Normal", True, -0.000123456),
        ("fast", "Not synchronised", False, 0.000123456),
    ],
)
def test_chrony(way: str, leap: str, synced: bool, offset: float) -> None:
    assert parse_chrony(CHRONY.format(way=way, leap=leap)) == (synced, pytest.approx(offset))


@pytest.mark.parametrize(
    ("text", "synced"),
    [
        ("Leap Indicator: 0(no warning)\nSource: time.windows.com,0x9\n", True),
        ("Leap Indicator: 3(not synchronized)\nSource: Local CMOS Clock\n", False),
        ("Source: Free-running System Clock\n", False),
        ("", False),
    ],
)
def test_w32tm(text: str, synced: bool) -> None:
    assert parse_w32tm(text)[0] is synced


def sample_copy(tmp: Path) -> Path:
    root = tmp / "station"
    for folder in ("schedules", "playlists", "audio"):
        shutil.copytree(SAMPLE / folder, root / folder)
    return root


def doctor(root: Path, pulse: PulseBench, *args: str) -> tuple[int, dict[str, object], str]:
    done = subprocess.run(
        [PLAYOUT, "--dir", str(root), "doctor", "--json", *args],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, **pulse.env()},
    )  # fmt: skip
    return done.returncode, json.loads(done.stdout), done.stderr


@pytest.mark.slow
def test_doctor_on_the_sample_station(tmp_path: Path, pulse: PulseBench) -> None:
    root = sample_copy(tmp_path)
    code, data, err = doctor(root, pulse)
    assert data, err
    checks = {c["name"]: c for c in data["checks"]}  # type: ignore[union-attr]
    assert set(checks) == {
        "libvlc", "ffmpeg", "station", "timezone", "database", "clock", "sound", "service"
    }  # fmt: skip
    for name in ("libvlc", "ffmpeg", "station", "sound"):
        assert checks[name]["level"] == "ok", checks[name]
    assert "tone played" in checks["sound"]["message"]
    assert checks["database"]["level"] == "warning"  # not made yet: nothing imported
    assert code == (0 if data["ok"] else 1)
    # a broken station file, and an output that does not exist: errors that say what to do
    (root / "schedules" / "tan-an.yaml").write_text("station: [\n", encoding="utf-8")
    code, data, _ = doctor(root, pulse, "--output", "no-such-output")
    checks = {c["name"]: c for c in data["checks"]}  # type: ignore[union-attr]
    assert code == 1 and data["ok"] is False
    assert checks["station"]["level"] == "error" and "tan-an.yaml" in checks["station"]["message"]
    assert checks["station"]["hint"] == "playout validate lists them all with file:line"
    # libvlc falls back to an output of its own for an unknown name: doctor says so
    assert checks["sound"]["level"] == "warning", checks["sound"]
    assert "unknown to libvlc" in checks["sound"]["message"]
    assert "pulse" in checks["sound"]["hint"]
