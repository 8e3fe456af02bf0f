"""Validation of schedules with long ``at:`` lists (an operator pasting a time every 30 s).

The sample station's COVID-19 campaign gets 200, 400, 2,880 (every 30 s of a day) and 20,000
fixed times; each is checked as `playout validate` checks it (schedule, clips, and the capacity
warnings over the campaign's year). The baseline is the sample as shipped, in the same run, so
the ratios show how the cost grows with the list. Targets: 2,880 times in <= 1 s, 20,000 in
<= 5 s (capacity checks included).

    .venv/bin/python bench/validate_bench.py
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playout.library import ClipChecker
from playout.station_folder import load_station

REPO = Path(__file__).resolve().parent.parent


def times(n: int) -> list[str]:
    step = 86400 / n
    return sorted({_hms(int(i * step)) for i in range(n)})


def _hms(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def main() -> None:
    checker = ClipChecker()  # clips are probed once: the bench measures the schedule work
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sample"
        for part in ("schedules", "playlists", "audio"):
            shutil.copytree(REPO / part, root / part)
        schedule = root / "schedules" / "tan-an.yaml"
        original = schedule.read_text(encoding="utf-8")
        load_station(root, checker=checker)  # warm up: imports, clip probes
        rows = []
        for n in (None, 200, 400, 2880, 20000):
            if n is None:
                text = original
            else:
                listed = ", ".join(f'"{t}"' for t in times(n))
                text = re.sub(r"at: \[[^\]]*\]", f"at: [{listed}]", original, count=1)
            schedule.write_text(text, encoding="utf-8")
            started = time.perf_counter()
            loaded = load_station(root, checker=checker)
            took = time.perf_counter() - started
            rows.append(("sample as shipped" if n is None else f"{n} at times", took, loaded))
    base = rows[0][1]
    print(f"{'schedule':22} {'seconds':>8} {'x sample':>9} {'errors':>7} {'warnings':>9}")
    for name, took, loaded in rows:
        print(
            f"{name:22} {took:8.2f} {took / base:9.1f} {len(loaded.errors):7} "
            f"{len(loaded.warnings):9}"
        )


if __name__ == "__main__":
    main()
