"""The audio test bench: a private PulseAudio server with a null sink, and a recorder.

See shared/AUDIO_TESTBENCH.md. Everything here is started and stopped by the tests themselves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

RATE = 44100


class PulseBench:
    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.socket = workdir / "pulse.sock"
        self.server = f"unix:{self.socket}"

    def start(self) -> None:
        if shutil.which("pulseaudio") is None:
            raise RuntimeError("pulseaudio is not installed: run ./dev setup")
        env = {**os.environ, "PULSE_SERVER": self.server, "HOME": str(self.dir)}
        subprocess.run(
            [
                "pulseaudio",
                "-D",
                "-n",
                "--exit-idle-time=-1",
                "--use-pid-file=no",
                "--disallow-exit=no",
                f"--log-target=file:{self.dir / 'pulse.log'}",
                "-L",
                f"module-native-protocol-unix socket={self.socket} auth-anonymous=1",
                "-L",
                f"module-null-sink sink_name=radio rate={RATE} channels=2",
            ],
            check=True,
            env=env,
            timeout=30,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.pactl("info").returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("the test PulseAudio server did not start")

    def pactl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pactl", *args],
            env={**os.environ, "PULSE_SERVER": self.server},
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )

    def stop(self) -> None:
        self.pactl("exit")

    def env(self) -> dict[str, str]:
        return {"PULSE_SERVER": self.server}


@dataclass
class Recording:
    """Mono samples of the sink's monitor, with the wall-clock time of each read's end."""

    chunks: list[tuple[float, bytes]] = field(default_factory=list)

    def samples(self) -> tuple[np.ndarray, np.ndarray]:
        """(samples as float in [-1, 1], wall-clock time of each sample).

        Times come from the sample count, not from when each read happened: a read is stamped
        when the reader got to it, which on a busy machine can be a second after the sound was
        made. Every stamp is then at or after the truth, so the time of sample 0 is the least of
        (stamp - samples so far / rate) over the reads from there on (a suffix minimum, which
        also follows the count forward if the sound server ever drops samples)."""
        if not self.chunks:
            return np.zeros(0, np.float32), np.zeros(0)
        raws = [raw for _, raw in self.chunks]
        data = [np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768 for raw in raws]
        sizes = np.array([len(x) for x in data])
        ends = np.cumsum(sizes)
        stamps = np.array([t_end for t_end, _ in self.chunks])
        zero = np.minimum.accumulate((stamps - ends / RATE)[::-1])[::-1]  # time of sample 0
        starts = ends - sizes
        times = [zero[k] + (starts[k] + 1 + np.arange(n)) / RATE for k, n in enumerate(sizes)]
        return np.concatenate(data), np.concatenate(times)

    def onsets(self, threshold: float = 0.02, gap_s: float = 0.3) -> list[float]:
        """Wall-clock times where sound starts after at least ``gap_s`` of silence."""
        x, t = self.samples()
        loud = np.flatnonzero(np.abs(x) > threshold)
        result: list[float] = []
        last = -1e9
        for i in loud:
            if t[i] - last > gap_s:
                result.append(float(t[i]))
            last = t[i]
        return result

    def sound_between(self, start: float, end: float, threshold: float = 0.02) -> float:
        """Seconds of sound (above threshold, in 10 ms windows) between two wall-clock times."""
        x, t = self.samples()
        sel = x[(t >= start) & (t < end)]
        win = RATE // 100
        if len(sel) < win:
            return 0.0
        frames = sel[: len(sel) // win * win].reshape(-1, win)
        return float(np.sum(np.max(np.abs(frames), axis=1) > threshold)) / 100


class Recorder:
    """parec on the null sink's monitor, read in a thread that stamps every read."""

    def __init__(self, bench: PulseBench) -> None:
        self.bench = bench
        self.recording = Recording()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Recorder:
        self._proc = subprocess.Popen(
            [
                "parec",
                "-d",
                "radio.monitor",
                "--raw",
                "--format=s16le",
                f"--rate={RATE}",
                "--channels=1",
                "--latency-msec=5",
            ],
            stdout=subprocess.PIPE,
            env={**os.environ, **self.bench.env()},
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        # parec delivers nothing for ~0.85 s after launch
        deadline = time.monotonic() + 5
        while not self.recording.chunks and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        return self

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while True:
            raw = os.read(fd, 4096)
            if not raw:
                return
            if len(raw) % 2:
                raw += os.read(fd, 1)
            self.recording.chunks.append((time.time(), raw))

    def __exit__(self, *exc: object) -> None:
        assert self._proc is not None
        time.sleep(0.2)
        self._proc.terminate()
        self._proc.wait(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=5)
