"""The systemd unit of the daemon: valid (``systemd-analyze verify``) and hardened
(``systemd-analyze security``: at most 4.5, while it keeps the sound card and the network)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.daemon_bench import PLAYOUT
from tests.history import SAMPLE

UNIT = SAMPLE / "deploy" / "playout.service"


def test_the_unit_verifies(tmp_path: Path) -> None:
    unit = tmp_path / "playout.service"  # verify wants ExecStart to exist: this venv's playout
    unit.write_text(
        UNIT.read_text(encoding="utf-8").replace("/srv/playout/.venv/bin/playout", PLAYOUT),
        encoding="utf-8",
    )
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_unit_is_hardened() -> None:
    done = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", str(UNIT)],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Overall exposure level for playout\.service: ([\d.]+)", done.stdout)
    assert found, done.stdout + done.stderr
    assert float(found[1]) <= 4.5, done.stdout
    text = UNIT.read_text(encoding="utf-8")
    assert "DeviceAllow=char-alsa rw" in text  # the sound card stays reachable
    assert "AF_INET" in text and "AF_UNIX" in text  # the hub upload and local sockets
