"""On-air timing: scheduled instant vs audible onset, playout daemon against cron + cvlc.

In one run, on a private PulseAudio null sink (see shared/AUDIO_TESTBENCH.md):

1. the playout daemon airs 50 short clips; the recording gives each audible onset;
2. the baseline a station would otherwise use: at each scheduled instant, spawn
   ``cvlc --play-and-exit CLIP`` (cron style; as the user nobody, since VLC refuses root);
3. the daemon's idle CPU and RSS over 60 s;
4. the daemon again while its hub upload (every 10 s) meets a hub that is down, slow (10 s per
   request) or refusing (401): the onsets must not move (the airer never waits on the upload);
5. the daemon again while ``playout library import`` hands it 1-minute MP3s one after another
   for the whole run (the daemon imports them: ffmpeg processes and numpy beside the airer),
   and while the same imports run in their own process (into another station folder): how
   much of the effect is the work on a 2-core PC, and how much is doing it in the daemon.

``--imports-only`` runs step 5 alone.

Prints p50 / p99 / max of (onset - scheduled) for each and the ratios.

    .venv/bin/python bench/timing_bench.py [--airings 50] [--idle 60] [--hub-airings 30]
"""

from __future__ import annotations

import argparse
import http.server
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.audio_bench import PulseBench, Recorder
from tests.daemon_bench import DaemonProcess, Slot, build_station
from tests.helpers import make_audio

PLAYOUT = str(Path(sys.executable).parent / "playout")


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


class FakeHub:
    """A hub that misbehaves: 'slow' answers 503 after 10 s, 'refusing' answers 401 at once."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.requests = 0
        hub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                hub.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if hub.mode == "slow":
                    time.sleep(10)
                code = 503 if hub.mode == "slow" else 401
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"detail": "no"}')

            def log_message(self, *_args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Importer:
    """Hands the daemon one 1-minute MP3 after another (``playout library import``) until
    stopped; a different clip each time (the same audio twice is only a duplicate)."""

    def __init__(self, work: Path, count: int = 40, elsewhere: bool = False) -> None:
        self.work, self.elsewhere = work, elsewhere
        self.clips = []
        for i in range(count):
            clip = make_audio(
                work / f"imports-{elsewhere}" / f"spot-{i}.mp3",
                f"anoisesrc=color=pink:amplitude=0.3:sample_rate=48000:seed={i}",
                60,
                "-af", "tremolo=f=3:d=0.9", "-ac", "2", "-b:a", "128k",
            )  # fmt: skip
            self.clips.append(clip)
        self.done: list[float] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, root: Path) -> None:
        env = {**os.environ, "PLAYOUT_DIR": str(root)}
        if self.elsewhere:  # a station folder no daemon serves: the command imports itself
            other = self.work / "elsewhere"
            subprocess.run(
                [PLAYOUT, "init", str(other), "--id", "bench/other", "--name", "Other",
                 "--district", "D", "--province", "P", "--sessions", "05:00-06:00"],
                check=True, capture_output=True,
            )  # fmt: skip
            env.update(PLAYOUT_DIR=str(other), PLAYOUT_DB=str(other / "playout.db"))

        def loop() -> None:
            for clip in self.clips:
                if self._stop.is_set():
                    return
                t0 = time.perf_counter()
                subprocess.run(
                    [PLAYOUT, "library", "import", "--into", "imports", str(clip)],
                    env=env, capture_output=True, check=True,
                )  # fmt: skip
                self.done.append(time.perf_counter() - t0)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(120)


def run_daemon(
    pulse: PulseBench, work: Path, n: int, hub: str = "", importer: Importer | None = None
) -> tuple[np.ndarray, DaemonProcess, Path]:
    slots = [Slot(i * 2, "s.wav") for i in range(n)]  # at times are whole seconds
    station = build_station(
        work / f"daemon-{len(list(work.glob('daemon*')))}",
        {"s.wav": (700, 0.5)},
        slots,
        lead_s=6,
        fallback=None,
        hub=hub,
    )
    with Recorder(pulse) as rec:
        daemon = DaemonProcess.start(station, pulse)
        if not daemon.wait_for("on air: station"):
            raise SystemExit(daemon.output())
        if importer is not None:
            importer.start(station.root)
        while time.time() < station.instant(slots[-1]).timestamp() + 1.5:
            time.sleep(0.2)
        if importer is not None:
            importer.stop()
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
    parser.add_argument("--hub-airings", type=int, default=30)
    parser.add_argument("--imports-only", action="store_true")
    args = parser.parse_args()
    hub_rows = []
    import_rows: list[tuple[tuple[str, float, float, float, float], float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "pulse").mkdir()
        os.chmod(work / "pulse", 0o777)
        pulse = PulseBench(work / "pulse")
        pulse.start()
        os.chmod(pulse.socket, 0o777)
        try:
            if not args.imports_only:
                daemon_err, daemon, _ = run_daemon(pulse, work, args.airings)
                cpu, rss = idle_usage(daemon.proc.pid, args.idle)
                daemon.terminate()
                cron_err = run_cvlc(pulse, work, args.airings)
                for mode in ("none", "down", "slow", "refusing"):
                    fake = FakeHub(mode) if mode in ("slow", "refusing") else None
                    hub = ""
                    if mode == "down":
                        hub = "http://127.0.0.1:9 token-x"  # the discard port: nothing listens
                    elif fake is not None:
                        hub = f"{fake.url} token-x"
                    err, d, _ = run_daemon(pulse, work, args.hub_airings, hub)
                    d.terminate()
                    label = f"hub {mode}" + (f" ({fake.requests} requests)" if fake else "")
                    hub_rows.append(summary(label, err))
                    if fake is not None:
                        fake.close()
            for elsewhere in (False, True):
                importer = Importer(work, elsewhere=elsewhere)
                err, d, _ = run_daemon(pulse, work, args.hub_airings, importer=importer)
                d.terminate()
                where = "in its own process" if elsewhere else "by the daemon"
                label = f"{len(importer.done)} imported {where}"
                import_rows.append((summary(label, err), statistics.median(importer.done)))
        finally:
            pulse.stop()
    if not args.imports_only:
        print_main(args, daemon_err, cron_err, cpu, rss, hub_rows)
    print()
    n = args.hub_airings
    print(f"while 1-minute MP3s are imported back to back, {n} airings each (ms)")
    print(f"{'':32} {'median':>8} {'p99 |e|':>8} {'max |e|':>8} {'import s':>9}")
    for (name, med, p99, mx, _mean), took in import_rows:
        print(f"{name:32} {med:8.1f} {p99:8.1f} {mx:8.1f} {took:9.2f}")


def print_main(
    args: argparse.Namespace,
    daemon_err: np.ndarray,
    cron_err: np.ndarray,
    cpu: float,
    rss: float,
    hub_rows: list[tuple[str, float, float, float, float]],
) -> None:
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
    print()
    print(f"with the hub upload every 10 s, {args.hub_airings} airings each (ms)")
    print(f"{'':32} {'median':>8} {'p99 |e|':>8} {'max |e|':>8} {'p99 / none':>10}")
    base = hub_rows[0][2] or 1.0
    for name, med, p99, mx, _mean in hub_rows:
        print(f"{name:32} {med:8.1f} {p99:8.1f} {mx:8.1f} {p99 / base:10.2f}")


if __name__ == "__main__":
    main()
