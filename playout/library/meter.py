"""Streaming measurements with ffmpeg: loudness, true peak, silence at the ends, and how far
the playout copy still matches its source. Every pass reads the file through ffmpeg, which
knows each format's sample layout (integer, float, WAVE_FORMAT_EXTENSIBLE, planar...), and
memory stays bounded whatever the clip's length."""

from __future__ import annotations

import contextlib
import math
import re
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

import numpy as np
import numpy.typing as npt

from playout.i18n import Text, msg
from playout.library.probe import TIMEOUT_S, AudioError, decoding_error, tool
from playout.library.truepeak import TruePeak

T = TypeVar("T")
SILENCE_MIN_S = 0.01  # a quiet stretch this long at an end is trimmed
_NUMBER = r"(-?(?:inf|\d+(?:\.\d+)?))"


@dataclass(frozen=True)
class Scan:
    loudness: float  # LUFS integrated (BS.1770 / EBU R128, ffmpeg's ebur128)
    loudness_range: float  # LU (EBU Tech 3342, ffmpeg's ebur128)
    true_peak: float  # dBTP
    lead_s: float  # silence at the start
    tail_s: float  # silence at the end
    duration_s: float
    channels: int  # as decoded


def loudness_range(summary: str) -> float:
    """The loudness range (LRA) of ebur128's summary."""
    match = re.search(rf"LRA:\s+{_NUMBER}", summary)
    return float(match[1]) if match else 0.0


def widen_pipe(pipe: IO[bytes]) -> None:
    """Let ffmpeg run ahead of the meters by up to 1 MiB (Linux; elsewhere the default)."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setsize is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe.fileno(), setsize, 1 << 20)


def finish(proc: subprocess.Popen[bytes], timeout_s: float) -> int:
    """Wait for ``proc`` to end, killing it after ``timeout_s``. A blocking wait returns the
    moment it ends (``Popen.wait(timeout)`` polls, sleeping up to 50 ms between looks)."""
    fired = threading.Event()

    def kill() -> None:
        fired.set()
        proc.kill()

    watchdog = threading.Timer(timeout_s, kill)
    watchdog.start()
    try:
        returncode = proc.wait()
    finally:
        watchdog.cancel()
    if fired.is_set():
        raise AudioError(msg("ffmpeg did not finish within {s} s", s=f"{timeout_s:g}"))
    return returncode


def stream(args: list[str], read: Callable[[IO[bytes]], T], timeout_s: float) -> tuple[T, int, str]:
    """Run ffmpeg (``args``) with ``read`` consuming its standard output as it comes; returns
    what ``read`` returned, the exit code and ffmpeg's log (kept in a file, never in a pipe
    that could fill)."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        try:
            widen_pipe(proc.stdout)
            result = read(proc.stdout)
            finish(proc, timeout_s)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        return result, proc.returncode, err.read().decode("utf-8", "replace")


# ebur128 prints its summary to 0.1 LU; its frame metadata, printed to the log every 100 ms,
# carries the integrated loudness so far to 0.001 LU (the last one is the whole clip's)
LOUDNESS_FILTER = (
    "ebur128=framelog=verbose:metadata=1,ametadata=mode=print:key=lavfi.r128.I:file=pipe\\\\:2"
)


def integrated(log: str) -> float:
    """The integrated loudness in a log of ``LOUDNESS_FILTER`` (-inf for silence, which ebur128
    gives as -70), else of ebur128's summary."""
    precise = log.rfind("lavfi.r128.I=")
    if precise >= 0:
        match = re.match(rf"lavfi\.r128\.I={_NUMBER}", log[precise:])
    else:
        match = re.search(rf"I:\s+{_NUMBER}", log[log.rfind("Summary:") :])
    if match is None:
        raise AudioError(msg("ffmpeg's loudness meter gave no integrated loudness"))
    value = float(match[1])
    return -math.inf if value <= -70.0 else value


class Meter:
    """An ffmpeg running ``filters`` (measurements) over what is written to its standard
    input, on the other core while Python reads, writes and measures: the passes' ebur128
    does not wait in the decoding ffmpeg's thread. Its log goes to a temporary file (never a
    pipe that could fill); ``log()`` ends it and returns the log."""

    def __init__(self, input_args: list[str], filters: str, log: IO[bytes]) -> None:
        self._log = log
        self._proc = subprocess.Popen(
            [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-v", "info",
             *input_args, "-i", "pipe:0", "-af", filters, "-f", "null", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )  # fmt: skip
        assert self._proc.stdin is not None
        widen_pipe(self._proc.stdin)
        self._broken = False

    def write(self, data: bytes) -> None:
        if self._broken:
            return
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(data)
        except BrokenPipeError:
            self._broken = True  # it died: its log says why (``log``)

    def log(self, what: Text) -> str:
        """Its log, once it has measured everything written (``what`` names it in an error)."""
        assert self._proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.close()
        finish(self._proc, TIMEOUT_S)
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace")
        if self._proc.returncode != 0 or "Summary:" not in text:
            raise AudioError(
                msg(
                    "ffmpeg could not measure {what} ({detail})",
                    what=what,
                    detail=text.strip()[-200:],
                )
            )
        return text

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()


@contextlib.contextmanager
def started_meter(input_args: list[str], filters: str) -> Iterator[Meter]:
    """A started ``Meter`` (``input_args`` describe what will be written to it), stopped at
    the end."""
    with tempfile.TemporaryFile() as log:
        meter = Meter(input_args, filters, log)
        try:
            yield meter
        finally:
            meter.close()


class Correlation:
    """Correlation of two signals fed block by block (same length per call): near 1 for the
    same audio at another level; a file decoded wrongly, or other audio, is far below."""

    def __init__(self) -> None:
        self.sxy = self.sxx = self.syy = 0.0

    def feed(self, a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> None:
        # single-precision products, summed per block (BLAS's partial sums keep them within
        # ~1e-6 of double precision) and across blocks in Python's double
        x, y = np.ravel(a), np.ravel(b)
        self.sxy += float(np.dot(x, y))
        self.sxx += float(np.dot(x, x))
        self.syy += float(np.dot(y, y))

    @property
    def value(self) -> float:
        if self.sxx <= 0 or self.syy <= 0:
            return 0.0
        return self.sxy / math.sqrt(self.sxx * self.syy)


class Sound:
    """Where the sound starts and ends, fed block by block: the first and the last frame with a
    sample at or above ``threshold_db`` in any channel (what ffmpeg's ``silencedetect`` counts
    as not silent)."""

    def __init__(self, threshold_db: float | None) -> None:
        self.threshold = None if threshold_db is None else 10 ** (threshold_db / 20)
        self.first: int | None = None
        self.last = 0
        self.frames = 0

    def feed(self, block: npt.NDArray[np.float32]) -> None:
        loud = np.abs(block.ravel()) >= self.threshold if self.threshold is not None else None
        if loud is not None and loud.any():
            channels = block.shape[1]
            if self.first is None:
                self.first = self.frames + int(loud.argmax()) // channels
            self.last = self.frames + (len(loud) - 1 - int(loud[::-1].argmax())) // channels
        self.frames += len(block)

    def silence(self, rate: int) -> tuple[float, float]:
        """Seconds of silence (lead, tail), each counted only from ``SILENCE_MIN_S`` on; an
        entirely silent clip is all lead."""
        if self.first is None:
            return self.frames / rate, 0.0
        shortest = SILENCE_MIN_S * rate
        lead = self.first if self.first >= shortest else 0
        after = self.frames - 1 - self.last
        tail = after if after >= shortest else 0
        return lead / rate, tail / rate


def read_wav_header(pipe: IO[bytes]) -> tuple[int, int, bytes]:
    """(sample rate, channels, the header itself) of the WAV header ffmpeg writes ahead of a
    stream's samples; the pipe is left at the first sample."""
    read = bytearray()

    def take(n: int) -> bytes:
        data = pipe.read(n)
        if len(data) < n:
            raise AudioError(msg("ffmpeg gave no audio"))
        read.extend(data)
        return data

    if take(12)[8:12] != b"WAVE":
        raise AudioError(msg("ffmpeg's stream is not WAV"))
    rate = channels = 0
    while True:
        kind, size = take(4), int.from_bytes(take(4), "little")
        if kind == b"data":
            return rate, channels, bytes(read)
        body = take(size + size % 2)
        if kind == b"fmt ":
            channels = int.from_bytes(body[2:4], "little")
            rate = int.from_bytes(body[4:8], "little")


def scan(
    path: Path,
    *,
    silence_db: float | None = None,
    codec: str | Callable[[], str] = "",
    copy_to: Path | None = None,
    copy_rate: int = 44100,
    progress: Callable[[float], None] | None = None,
) -> Scan:
    """One pass over ``path``: it decodes the whole file (any decoding error refuses it),
    measures the loudness (ffmpeg's ebur128, in a ``Meter``), the true peak (``TruePeak``, on
    the samples ffmpeg decodes), the length as decoded (a header's figure can be off by a frame
    or more: MP3 estimates it) and, with ``silence_db``, the silence at both ends.

    With ``copy_to``, the same decoded samples are also written there, resampled to
    ``copy_rate`` and mixed down to stereo if they have more channels (32-bit float, raw): what
    the playout copy is rendered from, without decoding the file again. ``progress`` is called
    between blocks with the seconds decoded so far (it may raise to stop the pass)."""
    # times counted in decoded samples (a WMA decoder stamps its first frame 86 ms)
    graph = "[0:a:0]asetpts=N/SR/TB"
    if copy_to is None:
        graph += "[p]"
    else:
        graph += (
            f",asplit=2[p][c];[c]aresample={copy_rate},"
            "aformat=sample_fmts=flt:channel_layouts=mono|stereo[o]"
        )
    # the decoding ffmpeg prints errors only: any line it prints refuses the file (ffmpeg 5
    # says "Error while decoding", later ones only the decoder's own message)
    args = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-v", "error",
            "-i", str(path), "-filter_complex", graph,
            "-map", "[p]", "-c:a", "pcm_f32le", "-f", "wav", "pipe:1"]  # fmt: skip
    if copy_to is not None:
        args += ["-map", "[o]", "-c:a", "pcm_f32le", "-f", "f32le", "-y", str(copy_to)]
    found: dict[str, float] = {}
    sound = Sound(silence_db)
    # the samples go on, as they come, to a second ffmpeg that measures them (the WAV header
    # first: it learns the rate and the channel layout, which the loudness weights follow)
    with started_meter(["-f", "wav"], LOUDNESS_FILTER) as measure:

        def read(out: IO[bytes]) -> int:
            try:
                rate, channels, header = read_wav_header(out)
            except AudioError:
                return 0  # ffmpeg failed before any audio: its log says why
            measure.write(header)
            found.update(rate=rate, channels=channels)
            peak, frame = TruePeak(channels), 4 * channels
            while raw := out.read(65536 * frame):
                measure.write(raw)
                usable = len(raw) - len(raw) % frame
                block = np.frombuffer(raw[:usable], dtype=np.float32).reshape(-1, channels)
                peak.feed(block)
                sound.feed(block)
                if progress is not None:
                    progress(sound.frames / rate)
            found.update(peak=peak.peak)
            return sound.frames

        frames, returncode, decoding = stream(args, read, TIMEOUT_S * 10)
        if decoding.strip() or returncode != 0:
            name = codec() if callable(codec) else codec  # for the message (a probe may be late)
            raise decoding_error(name, decoding)
        if not found.get("rate"):
            raise AudioError(
                msg("ffmpeg could not decode the clip ({detail})", detail=decoding.strip()[-200:])
            )
        log = measure.log(msg("the clip"))
    sample_rate, channels = int(found["rate"]), int(found["channels"])
    duration = frames / sample_rate
    lead = tail = 0.0
    if silence_db is not None:
        lead, tail = sound.silence(sample_rate)
    summary = log[log.rindex("Summary:") :]
    peak = found.get("peak", 0.0)
    return Scan(
        loudness=integrated(log),
        loudness_range=loudness_range(summary),
        true_peak=20 * math.log10(peak) if peak > 0 else -math.inf,
        lead_s=min(lead, duration),
        tail_s=min(tail, duration),
        duration_s=duration,
        channels=channels,
    )
