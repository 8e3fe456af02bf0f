"""Chaos: every fault of the fault suite, N times each, judged by what was heard and logged.

For each fault (``tests/fault_bench.py``: database locked 30 s, disk full with a kill, wall
clock stepped back and forward, sound server killed, daemon frozen, clip replaced, machine
zone far from the station's) it prints: airings planned, airings that had to air and were
heard on time, airings logged, logged truly (status, reason, start within 0.1 s of what was
heard, seconds played, sha256), and lost (no row). The target is 0 lost and 100 % true.
The disk-full fault needs root (it mounts a small tmpfs) and is left out otherwise.

    .venv/bin/python bench/chaos_bench.py [--n 10] [--only "clock"]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.audio_bench import PulseBench
from tests.fault_bench import (
    SCENARIOS,
    FaultEnv,
    FaultRun,
    Tally,
    build_clockstep,
    disk_full,
    evaluate,
)


def _with_tmpfs(env: FaultEnv) -> FaultRun:
    mount = env.work / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], check=True)
    try:
        run = disk_full(env, mount)
        kept = env.work / "var"  # the judge reads the database after the tmpfs is gone
        shutil.copytree(run.station.db.parent, kept)
        run.station.db = kept / run.station.db.name
        return run
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10, help="runs of each fault")
    parser.add_argument("--only", default="", help="only faults whose name contains this")
    args = parser.parse_args()
    scenarios: dict[str, Callable[[FaultEnv], FaultRun]] = dict(SCENARIOS)
    if os.geteuid() == 0:
        scenarios["disk full, killed before it is freed"] = _with_tmpfs
    else:
        print("(disk full left out: mounting a tmpfs needs root)")
    scenarios = {k: v for k, v in scenarios.items() if args.only in k}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "pulse").mkdir()
        pulse = PulseBench(work / "pulse")
        pulse.start()
        os.environ["PULSE_SERVER"] = pulse.server
        lib = build_clockstep(work)
        rows = []
        started = time.monotonic()
        try:
            for name, scenario in scenarios.items():
                total = Tally()
                for i in range(args.n):
                    run_dir = work / f"{len(rows)}-{i}"
                    run_dir.mkdir()
                    try:
                        total.add(evaluate(scenario(FaultEnv(pulse, lib, run_dir))))
                    except AssertionError as exc:  # the scenario itself could not run
                        total.problems.append(f"run {i + 1} did not complete: {exc}"[:300])
                    print(f"  {name}: run {i + 1}/{args.n} done", file=sys.stderr, flush=True)
                rows.append((name, total))
                print(f"  {name}: {_row(name, total)}", file=sys.stderr, flush=True)
        finally:
            pulse.stop()
    took = time.monotonic() - started
    print(f"\nchaos bench: {args.n} run(s) of each fault, {took / 60:.1f} min\n")
    header = f"{'fault':40} {'planned':>8} {'to air':>7} {'on time':>8} {'logged':>7} "
    print(header + f"{'true':>7} {'true %':>7} {'lost':>5}")
    for name, t in rows:
        print(_row(name, t))
    problems = [(name, p) for name, t in rows for p in t.problems]
    if problems:
        print("\nproblems:")
        for name, p in problems:
            print(f"  {name}: {p}")


def _row(name: str, t: Tally) -> str:
    true_pct = 100 * t.logged_truly / t.planned if t.planned else 0
    return (
        f"{name:40} {t.planned:8} {t.to_air:7} {t.heard_on_time:8} {t.logged:7} "
        f"{t.logged_truly:7} {true_pct:6.1f}% {t.lost:5}"
    )


if __name__ == "__main__":
    main()
