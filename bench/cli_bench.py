"""Whole-process times of the commands operators type many times a day, on the sample station
(a copy in a temporary folder), against ``python -c pass`` in the same run.

    .venv/bin/python bench/cli_bench.py [--repeat 10]

Targets (issue #15): --help, status and log --today <= 0.25 s median; validate <= 0.6 s.
``status``, ``log --today`` and ``validate`` are measured with a daemon running (``playout
run --output afile``), as operators use them — the daemon answers them —, and without one
(``status`` then reads the schedule to find the database before saying so; ``log`` reads the
database itself; ``validate`` checks the folder itself, every clip decoded again).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAYOUT = str(Path(sys.executable).parent / "playout")
TARGETS = {"--help": 0.25, "status": 0.25, "log --today": 0.25, "validate": 0.6}


def timed(args: list[str], cwd: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(args, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    n = parser.parse_args().repeat
    work = Path(tempfile.mkdtemp(prefix="playout-cli-bench-"))
    for folder in ("schedules", "playlists", "audio"):
        shutil.copytree(ROOT / folder, work / folder)
    subprocess.run(
        [PLAYOUT, "library", "import", *map(str, work.glob("audio/*/*.wav"))],
        cwd=work, capture_output=True, check=True,
    )  # fmt: skip
    rows = [("baseline: python -c pass", timed([sys.executable, "-c", "pass"], work, n), None)]
    rows.append(("playout --help", timed([PLAYOUT, "--help"], work, n), TARGETS["--help"]))
    rows.append(("playout validate (no daemon)", timed([PLAYOUT, "validate"], work, n), None))
    rows.append(("playout log --today (no daemon)", timed([PLAYOUT, "log"], work, n), None))
    rows.append(("playout status (no daemon)", timed([PLAYOUT, "status"], work, n), None))
    daemon = subprocess.Popen(
        [PLAYOUT, "run", "--output", "afile", "--output-file", str(work / "air.wav")],
        cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if subprocess.run([PLAYOUT, "status"], cwd=work, capture_output=True).returncode == 0:
                break
            time.sleep(0.5)
        rows.append(("playout status (daemon running)", timed([PLAYOUT, "status"], work, n), 0.25))
        log = timed([PLAYOUT, "log", "--today"], work, n)
        rows.append(("playout log --today (daemon running)", log, 0.25))
        check = timed([PLAYOUT, "validate"], work, n)
        rows.append(("playout validate (daemon running)", check, TARGETS["validate"]))
    finally:
        daemon.terminate()
        daemon.wait(15)
        shutil.rmtree(work, ignore_errors=True)
    base = rows[0][1]
    print(f"{'command':38} {'median s':>9} {'x base':>7}  target")
    for name, t, target in rows:
        verdict = "" if target is None else ("ok" if t <= target else f"MISSED ({target} s)")
        print(f"{name:38} {t:9.3f} {t / base:7.1f}  {verdict}")


if __name__ == "__main__":
    main()
