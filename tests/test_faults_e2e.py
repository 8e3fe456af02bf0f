"""The daemon under real faults, one test per fault, judged by what was heard and logged.

Each test runs a scenario of ``tests/fault_bench.py``: a real `playout run` on the null-sink
bench with one real fault injected (another process holding the database, a full file system,
the wall clock stepped by an LD_PRELOAD library built here, the PulseAudio server killed and
restarted, SIGSTOP, a clip replaced on disk, a machine zone far from the station's). The
judge checks for every planned airing: heard on time or logged with the true reason, exactly
one row, true start, seconds played and sha256, no burst, no traceback in the daemon's log.
``bench/chaos_bench.py`` runs the same scenarios N times each.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from tests.audio_bench import PulseBench
from tests.daemon_bench import as_run
from tests.fault_bench import (
    FaultEnv,
    FaultRun,
    build_clockstep,
    clip_replaced,
    clock_back,
    clock_forward,
    database_deleted,
    database_locked,
    disk_full,
    evaluate,
    first_start_late,
    frozen,
    killed_mid_airing,
    machine_zone,
    saves_renumber,
    second_daemon_via_symlink,
    sound_server_killed,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults]


@pytest.fixture(scope="session")
def clockstep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_clockstep(tmp_path_factory.mktemp("native"))


@pytest.fixture
def env(pulse: PulseBench, clockstep: Path, tmp_path: Path) -> FaultEnv:
    return FaultEnv(pulse, clockstep, tmp_path)


def judged(run: FaultRun) -> FaultRun:
    tally = evaluate(run)
    assert tally.problems == [], "\n".join(tally.problems) + "\n" + run.logs[-1][-4000:]
    assert tally.lost == 0 and tally.logged_truly == tally.planned
    assert tally.heard_on_time == tally.to_air
    return run


def test_machine_zone_far_from_the_station_plans_by_station_time(env: FaultEnv) -> None:
    run = judged(machine_zone(env))
    assert run.notes["days"] == run.notes["want_days"], "today, tomorrow and, after 23:00, the next"


def test_database_locked_by_another_process_for_30_s(env: FaultEnv) -> None:
    run = judged(database_locked(env))
    backlog = run.notes["backlog"]
    assert isinstance(backlog, dict)
    assert backlog["rows_waiting"] >= 2 and backlog["failing_since"], backlog
    log = run.logs[0]
    assert log.count("the as-run log cannot be written") == 1, "logged once, not per row"
    assert "the as-run log is written again" in log


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 24 MB file system to fill up (mounting needs root; the CI runs as root)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"cannot mount a tmpfs: {done.stderr.strip()}"
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root (the CI runs as root)")
def test_disk_full_keeps_airing_and_loses_no_row_even_when_killed(
    env: FaultEnv, small_tmpfs: Path
) -> None:
    run = judged(disk_full(env, small_tmpfs))
    assert "the as-run log cannot be written" in run.logs[0]
    assert "that the last run could not write to the database" in run.logs[1]


def test_clock_steps_back_an_hour_and_returns_50_s_later(env: FaultEnv) -> None:
    run = judged(clock_back(env))
    upcoming = run.notes["next"]
    assert isinstance(upcoming, list)
    at = float(run.notes["at"])  # type: ignore[arg-type]
    assert all(datetime.fromisoformat(i["start"]).timestamp() > at - 30 for i in upcoming), (
        "status does not list airings the jump left behind"
    )
    assert run.logs[0].count("stepped back") == 1, "the step is logged once"


def test_clock_steps_forward_an_hour(env: FaultEnv) -> None:
    run = judged(clock_forward(env))
    assert int(run.notes["log_lines"]) < 150, "the log is not flooded"  # type: ignore[call-overload]


def test_sound_server_killed_mid_airing_and_restarted(env: FaultEnv) -> None:
    run = judged(sound_server_killed(env))
    assert "audio player rebuilt" in run.logs[0]


def test_daemon_frozen_20_s_mid_airing(env: FaultEnv) -> None:
    run = judged(frozen(env))
    assert float(run.notes["residue_s"]) <= 0.3, run.notes  # type: ignore[arg-type]


def test_a_catalogued_clip_replaced_on_disk_is_refused(env: FaultEnv) -> None:
    run = judged(clip_replaced(env))
    logged = {str(r["airing_id"]): r for r in as_run(run.station.db)}
    first, refused, allowed = (logged[a] for a in run.expect)
    fallback = logged[f"{refused['airing_id']}-fallback"]
    assert (fallback["status"], fallback["trigger"]) == ("completed", "fallback")
    # allowed by the station, it airs logged with the sha256 of what really played
    assert allowed["clip_sha256"] != first["clip_sha256"]


def test_the_database_file_deleted_while_running_comes_back_whole(env: FaultEnv) -> None:
    run = judged(database_deleted(env))
    assert run.notes["restored"] == 1, run.logs[0]
    assert len(as_run(run.station.db)) == len(run.expect)


def test_saves_that_renumber_the_day_air_each_slot_once(env: FaultEnv) -> None:
    run = judged(saves_renumber(env))
    # both versions were loaded (the log's flood filter holds the lines that repeat)
    assert int(run.notes["reloads"]) >= 2, run.logs[0]  # type: ignore[call-overload]


def test_killed_mid_airing_logs_what_was_heard(env: FaultEnv) -> None:
    judged(killed_mid_airing(env))


def test_the_first_start_airs_nothing_that_was_due_before_it(env: FaultEnv) -> None:
    run = judged(first_start_late(env))
    assert run.notes["rows_before"] == 0, run.logs[0]


def test_a_second_daemon_through_a_symlink_is_refused(env: FaultEnv) -> None:
    run = judged(second_daemon_via_symlink(env))
    assert run.notes["second_exit"] == 3, run.logs[1]
    assert run.notes["file_has_screen_lines"], "the log file holds the daemon's lines"
