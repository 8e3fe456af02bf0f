"""Crash safety: kill -9 the daemon at random moments, 100 times, and audit the as-run log.

After every kill: PRAGMA integrity_check, no airing logged twice, no completed row lost; and the
time from start to "on air" of each restart. The baseline is the first, cold start in the same
run (restart time / first start time).

    .venv/bin/python bench/crash_bench.py [--kills 100]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.audio_bench import PulseBench
from tests.daemon_bench import DaemonProcess, Slot, as_run, build_station, integrity


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "pulse").mkdir()
        pulse = PulseBench(work / "pulse")
        pulse.start()
        try:
            slots = [Slot(i, "s.wav") for i in range(args.kills * 4)]  # one a second
            station = build_station(
                work / "st", {"s.wav": (500, 0.6)}, slots, lead_s=4, fallback=None
            )
            completed: set[str] = set()
            startups = []
            lost = duplicates = corrupt = 0
            for _ in range(args.kills):
                started = time.monotonic()
                daemon = DaemonProcess.start(station, pulse)
                if not daemon.wait_for("on air: station", timeout=60):
                    raise SystemExit(daemon.output())
                startups.append(time.monotonic() - started)
                time.sleep(rng.uniform(0.1, 2.0))
                daemon.kill9()
                corrupt += integrity(station.db) != "ok"
                rows = as_run(station.db)
                ids = [r["airing_id"] for r in rows]
                duplicates += len(ids) - len(set(ids))
                now_completed = {str(r["airing_id"]) for r in rows if r["status"] == "completed"}
                lost += len(completed - now_completed)
                completed = now_completed
            statuses: dict[str, int] = {}
            for r in as_run(station.db):
                statuses[str(r["status"])] = statuses.get(str(r["status"]), 0) + 1
        finally:
            pulse.stop()
    s = np.array(startups)
    print(f"{'kills':>6} {'lost':>5} {'dupes':>6} {'corrupt':>8} {'completed':>10}")
    print(f"{args.kills:6d} {lost:5d} {duplicates:6d} {corrupt:8d} {len(completed):10d}")
    print("rows by status:", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    print(
        f"start to on-air (s): first {s[0]:.2f} (baseline), restarts median {np.median(s[1:]):.2f}"
        f" ({np.median(s[1:]) / s[0]:.2f}x), max {s[1:].max():.2f}"
    )


if __name__ == "__main__":
    main()
