"""Import speed and memory: `playout library import` against ffmpeg's own loudness tools.

For clips of 1, 10, 30 and 60 minutes (48 kHz stereo MP3, pink noise shaped like speech), each
step runs in a fresh process so peak memory (max RSS, ours plus the ffmpeg children) is its own:

- playout import: decode check, one streaming scan (EBU R128 loudness, true peak, silence at the
  ends), normalisation with a 4x-oversampled limiter, re-measurement, comparison of the copy
  with its source, WAV, sha256, catalog row (all through ffmpeg, block by block);
- baseline 1: ffmpeg ebur128 (measure only);
- baseline 2: ffmpeg loudnorm two-pass (measure, then normalise to a WAV).

Then the whole command, ``playout library import`` of a 1-minute clip on a new station (median
of five different clips each), without a daemon (the command loads its libraries, ~1 s) and
with one running (``playout run --output afile``: the daemon, whose libraries are loaded,
imports it), against ``python -c pass``.

    .venv/bin/python bench/library_bench.py [--minutes 1 10 30 60] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playout.library.probe import tool
from tests.helpers import make_audio

MEASURE = textwrap.dedent(
    """
    import json, resource, subprocess, sys, time
    started = time.perf_counter()
    exec(sys.argv[1])
    elapsed = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"seconds": elapsed, "rss_mb": max(own, kids) / 1024}))
    """
)

IMPORT = """
from datetime import UTC, datetime
from pathlib import Path
from playout.library.catalog import Catalog, import_clip
from playout.schedule.model import LibrarySettings
from playout.store import open_database
work = Path(sys.argv[2])
db = open_database(work / "bench.db")
import_clip(Catalog(db), work / "audio", Path(sys.argv[3]), into="bench", title=None,
            settings=LibrarySettings(max_duration=__import__("datetime").timedelta(hours=2)),
            now=datetime.now(UTC))
"""

EBUR128 = """
subprocess.run([sys.argv[4], "-nostdin", "-v", "info", "-i", sys.argv[3], "-af", "ebur128",
                "-f", "null", "-"], check=True, capture_output=True)
"""

LOUDNORM = """
import json as j
p = subprocess.run([sys.argv[4], "-nostdin", "-i", sys.argv[3], "-af",
                    "loudnorm=I=-16:TP=-1:print_format=json", "-f", "null", "-"],
                   check=True, capture_output=True, text=True)
start = p.stderr.rindex("{")
m = j.loads(p.stderr[start:p.stderr.index("}", start) + 1])
f = ("loudnorm=I=-16:TP=-1:measured_I={input_i}:measured_TP={input_tp}:measured_LRA={input_lra}"
     ":measured_thresh={input_thresh}:offset={target_offset}:linear=true").format(**m)
subprocess.run([sys.argv[4], "-nostdin", "-v", "error", "-y", "-i", sys.argv[3], "-af", f,
                "-ar", "44100", "-c:a", "pcm_s16le", sys.argv[2] + "/loudnorm.wav"], check=True)
"""


def run(code: str, work: Path, clip: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, code, str(work), str(clip), FFMPEG],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


PLAYOUT = str(Path(sys.executable).parent / "playout")
FFMPEG = tool("ffmpeg")  # the baselines run the ffmpeg the import runs


def whole_command(work: Path, clip: Path, repeat: int) -> list[tuple[str, float]]:
    """Median seconds of ``playout library import`` of ``clip`` (a different copy each time:
    the same audio twice is a duplicate), without and with a daemon, and of python -c pass."""
    station = work / "station"
    subprocess.run(
        [PLAYOUT, "init", str(station), "--id", "bench/library", "--name", "Bench",
         "--district", "D", "--province", "P", "--sessions", "05:00-06:00"],
        check=True, capture_output=True,
    )  # fmt: skip
    copies = []
    for i in range(2 * repeat):  # each a little quieter: other audio, the same work
        copy = work / f"copy-{i}.mp3"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(clip),
             "-af", f"volume=-{0.1 * (i + 1):.1f}dB", "-b:a", "128k", str(copy)],
            check=True,
        )  # fmt: skip
        copies.append(copy)

    def timed(args: list[str], files: list[Path]) -> float:
        times = []
        for f in files:
            t0 = time.perf_counter()
            subprocess.run([*args, str(f)], cwd=station, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    base = timed([sys.executable, "-c", "pass"], copies[:repeat])
    imp = [PLAYOUT, "library", "import", "--into", "bench"]
    alone = timed(imp, copies[:repeat])
    daemon = subprocess.Popen(
        [PLAYOUT, "run", "--output", "afile", "--output-file", str(work / "air.wav")],
        cwd=station, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status = subprocess.run([PLAYOUT, "status"], cwd=station, capture_output=True)
            if status.returncode == 0:
                break
            time.sleep(0.5)
        warm = timed(imp, copies[repeat:])
    finally:
        daemon.terminate()
        daemon.wait(15)
    return [
        ("baseline: python -c pass", base),
        ("playout library import (no daemon)", alone),
        ("playout library import (daemon running)", warm),
    ]


def make_clip(path: Path, seconds: int) -> None:
    # pink noise, chopped into 'words' by a slow tremolo: loudness behaves like speech
    make_audio(
        path,
        "anoisesrc=color=pink:amplitude=0.3:sample_rate=48000",
        seconds,
        "-af",
        "tremolo=f=3:d=0.9",
        "-ac",
        "2",
        "-b:a",
        "128k",
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=int, nargs="+", default=[1, 10, 30, 60])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        minute = work / "minute.mp3"
        make_clip(minute, 60)
        commands = whole_command(work, minute, args.repeat)
        for seconds in (60 * m for m in args.minutes):
            clip = work / f"clip-{seconds}.mp3"
            make_clip(clip, seconds)
            ours = run(IMPORT, work, clip)
            ebu = run(EBUR128, work, clip)
            norm = run(LOUDNORM, work, clip)
            rows.append((seconds, ours, ebu, norm))
    print(f"{'clip':>6} {'step':34} {'seconds':>8} {'peak MB':>8} {'x loudnorm':>11}")
    for seconds, ours, ebu, norm in rows:
        label = f"{seconds // 60} min"
        for name, r in (
            ("playout library import", ours),
            ("ffmpeg ebur128 (measure only)", ebu),
            ("ffmpeg loudnorm two-pass (baseline)", norm),
        ):
            ratio = r["seconds"] / norm["seconds"]
            print(f"{label:>6} {name:34} {r['seconds']:8.2f} {r['rss_mb']:8.0f} {ratio:11.2f}")
    print("targets: import <= 200 MB at any length; 1 min <= 1 s; 30 min <= 0.5 x loudnorm")
    print(f"ffmpeg (the import's and the baselines'): {FFMPEG}")
    print()
    print(f"{'the whole command, a 1-minute clip':42} {'median s':>9} {'x base':>7}")
    for name, t in commands:
        print(f"{name:42} {t:9.3f} {t / commands[0][1]:7.1f}")


if __name__ == "__main__":
    main()
