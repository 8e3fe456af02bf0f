"""On-air timing: scheduled instant vs audible onset, playout daemon against cron + cvlc.

In one run, on a private PulseAudio null sink (see shared/AUDIO_TESTBENCH.md):

1. the playout daemon airs 50 short clips; the recording gives each audible onset;
2. the baseline a station would otherwise use: at each scheduled instant, spawn
   ``cvlc --play-and-exit CLIP`` (cron style; as the user nobody, since VLC refuses root);
3. the daemon's idle CPU and RSS over 60 s.

Prints p50 / p99 / max of (onset - scheduled) for both and their ratio.

    .venv/bin/python bench/timing_bench.py [--airings 50] [--idle 60]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.audio_bench import PulseBench, Recorder
from tests.daemon_bench import DaemonProcess, Slot, build_station
from tests.helpers import make_audio


def errors_ms(onsets: list[float], planned: list[float]) -> np.ndarray:
    return np.array([1000 * (min(onsets, key=lambda o: abs(o - p)) - p) for p in planned])


def summary(name: str, err: np.ndarray) -> tuple[str, float, float, float, float]:
    a = np.abs(err)
    return (
        name,
        float(np.median(err)),
        float(np.percentile(a, 99)),
        float(a.max()),
        float(a.mean()),
    )


def run_daemon(pulse: PulseBench, work: Path, n: int) -> tuple[np.ndarray, DaemonProcess, Path]:
    slots = [Slot(i * 2, "s.wav") for i in range(n)]  # at times are whole seconds
    station = build_station(work / "daemon", {"s.wav": (700, 0.5)}, slots, lead_s=6, fallback=None)
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse)
        if not daemon.wait_for("on air: station"):
            raise SystemExit(daemon.output())
        while time.time() < station.instant(slots[-1]).timestamp() + 1.5:
            time.sleep(0.2)
    planned = [station.instant(s).timestamp() for s in slots]
    return errors_ms(rec.recording.onsets(), planned), daemon, station.root


def run_cvlc(pulse: PulseBench, work: Path, n: int) -> np.ndarray:
    if shutil.which("cvlc") is None:
        raise SystemExit("cvlc is missing: ./dev setup installs vlc-bin")
    clip = make_audio(work / "cron" / "s.wav", "sine=frequency=700:sample_rate=44100", 0.5)
    os.chmod(work, 0o755)
    os.chmod(clip.parent, 0o755)
    home = work / "nobody-home"
    home.mkdir()
    shutil.chown(home, "nobody")
    env = [f"PULSE_SERVER={pulse.server}", f"HOME={home}"]
    cmd = [
        "runuser",
        "-u",
        "nobody",
        "--",
        "env",
        *env,
        "cvlc",
        "--play-and-exit",
        "--quiet",
        str(clip),
    ]
    start = time.time() + 3
    planned = [start + i * 1.5 for i in range(n)]
    procs = []
    with Recorder(pulse) as rec:
        for t in planned:
            while time.time() < t:
                time.sleep(min(0.001, max(t - time.time(), 0)))
            procs.append(
                subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        for p in procs:
            p.wait(timeout=30)
        time.sleep(0.5)
    return errors_ms(rec.recording.onsets(), planned)


def idle_usage(pid: int, seconds: float) -> tuple[float, float]:
    """(CPU %, RSS MB) of a process over ``seconds``."""
    tick = os.sysconf("SC_CLK_TCK")

    def cpu() -> int:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    c0, t0 = cpu(), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu(), time.monotonic()
    rss_kb = next(
        int(line.split()[1])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines()
        if line.startswith("VmRSS:")
    )
    return 100 * (c1 - c0) / tick / (t1 - t0), rss_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--airings", type=int, default=50)
    parser.add_argument("--idle", type=float, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "pulse").mkdir()
        os.chmod(work / "pulse", 0o777)
        pulse = PulseBench(work / "pulse")
        pulse.start()
        os.chmod(pulse.socket, 0o777)
        try:
            daemon_err, daemon, _ = run_daemon(pulse, work, args.airings)
            cpu, rss = idle_usage(daemon.proc.pid, args.idle)
            daemon.terminate()
            cron_err = run_cvlc(pulse, work, args.airings)
        finally:
            pulse.stop()
    rows = [summary("playout daemon", daemon_err), summary("cron + cvlc (baseline)", cron_err)]
    print(f"onset - scheduled over {args.airings} airings each (ms)")
    print(f"{'':24} {'median':>8} {'p99 |e|':>8} {'max |e|':>8} {'mean |e|':>9}")
    for name, med, p99, mx, mean in rows:
        print(f"{name:24} {med:8.1f} {p99:8.1f} {mx:8.1f} {mean:9.1f}")
    ratio = rows[1][2] / rows[0][2] if rows[0][2] else float("inf")
    print(f"baseline p99 / daemon p99: {ratio:.1f}x  (target: daemon p99 <= 20 ms, >= 10x)")
    print(
        f"daemon idle over {args.idle:.0f} s: {cpu:.2f} % CPU, {rss:.0f} MB RSS "
        "(target <= 0.5 %, <= 80 MB)"
    )


if __name__ == "__main__":
    main()
