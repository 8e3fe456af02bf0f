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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from playout.library.probe import TIMEOUT_S, AudioError, decoding_error, tool

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
            proc.wait(timeout=timeout_s)
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
        raise AudioError("ffmpeg's loudness meter gave no integrated loudness")
    value = float(match[1])
    return -math.inf if value <= -70.0 else value


def interpolation_filter(factor: int, taps: int, beta: float = 8.0) -> npt.NDArray[np.float32]:
    """The oversampling filter as a (taps, factor) matrix, one column per phase: a Kaiser-
    windowed sinc low-pass at the original Nyquist frequency, unity gain per phase.

    It is centred on a sample, so the phases interpolate at exactly 1/4, 2/4, 3/4 of the way
    between samples (phase 0 gives the samples back): centred between two taps, as an even
    length puts it, every point is 1/8 sample off and a sine at fs/4 reads 0.17 dB low. Cut
    lower than Nyquist, it misses the peaks of content near it (at 0.96 of it, 0.7 dB on white
    noise bursts; ffmpeg's and scipy's meters agree with this one within 0.05 dB)."""
    n = factor * taps
    centre = n // 2
    window = np.kaiser(2 * centre + 1, beta)[:n]  # symmetric about ``centre``
    h = np.sinc((np.arange(n) - centre) / factor) * window
    h = h / h.sum() * factor
    return np.stack([h[p::factor] for p in range(factor)], axis=1).astype(np.float32)


class TruePeak:
    """True peak (BS.1770 annex 2): the peak of the signal oversampled 4x, measured block by
    block with the filter's history carried over, so block edges add nothing.

    An interpolated sample is at most ``gain`` (the largest sum of a phase's absolute taps)
    times the largest sample under the filter, so only stretches whose samples come that close
    to the peak found so far are interpolated, each with one matrix product (every window of
    32 samples times the three phases between samples); the rest cannot hold the true peak."""

    FACTOR, TAPS = 4, 32  # 128-tap Kaiser interpolation filter
    CHUNK = 32  # samples per stretch tested against the bound

    def __init__(self, channels: int) -> None:
        # in convolution order; phase 0 gives the samples back (the sample peak covers it)
        self.phases = np.ascontiguousarray(interpolation_filter(self.FACTOR, self.TAPS)[::-1, 1:])
        self.gain = float(np.abs(self.phases).sum(axis=0).max())
        self.history = np.zeros((self.TAPS - 1, channels), dtype=np.float32)
        self.peak = 0.0

    def feed(self, block: npt.NDArray[np.float32]) -> None:
        if not len(block):
            return
        ext = np.concatenate([self.history, block])
        self.history = ext[-(self.TAPS - 1) :]
        windows_n = len(ext) - self.TAPS + 1  # window i covers ext[i : i + TAPS]
        chunks = -(-len(ext) // self.CHUNK)
        padded = np.zeros(((chunks + 1) * self.CHUNK, ext.shape[1]), dtype=np.float32)
        padded[: len(ext)] = ext
        # one figure per stretch for all channels: a contiguous reduction (numpy is slow
        # reducing the middle axis of (stretch, sample, channel))
        most = np.abs(padded).reshape(chunks + 1, -1).max(axis=1)
        self.peak = max(self.peak, float(most.max()))
        # the windows starting in stretch j reach at most into stretch j + 1
        hot = np.flatnonzero(np.maximum(most[:-1], most[1:]) * self.gain > self.peak)
        if not len(hot):
            return
        starts = (hot[:, None] * self.CHUNK + np.arange(self.CHUNK)).ravel()
        starts = starts[starts < windows_n]
        for channel in range(ext.shape[1]):
            out = sliding_window_view(ext[:, channel], self.TAPS)[starts] @ self.phases
            if out.size:
                self.peak = max(self.peak, float(out.max()), float(-out.min()))

    @property
    def dbtp(self) -> float:
        return 20 * math.log10(self.peak) if self.peak > 0 else -math.inf


class Correlation:
    """Correlation of two signals fed block by block (same length per call): near 1 for the
    same audio at another level; a file decoded wrongly, or other audio, is far below."""

    def __init__(self) -> None:
        self.sxy = self.sxx = self.syy = 0.0

    def feed(self, a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> None:
        x, y = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
        self.sxy += float(np.dot(x, y))
        self.sxx += float(np.dot(x, x))
        self.syy += float(np.dot(y, y))

    @property
    def value(self) -> float:
        if self.sxx <= 0 or self.syy <= 0:
            return 0.0
        return self.sxy / math.sqrt(self.sxx * self.syy)


def read_wav_header(pipe: IO[bytes]) -> tuple[int, int]:
    """(sample rate, channels) of the WAV header ffmpeg writes ahead of a stream's samples; the
    pipe is left at the first sample."""

    def take(n: int) -> bytes:
        data = pipe.read(n)
        if len(data) < n:
            raise AudioError("ffmpeg gave no audio")
        return data

    if take(12)[8:12] != b"WAVE":
        raise AudioError("ffmpeg's stream is not WAV")
    rate = channels = 0
    while True:
        kind, size = take(4), int.from_bytes(take(4), "little")
        if kind == b"data":
            return rate, channels
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
    progress: Callable[[int, float], None] | None = None,
) -> Scan:
    """One pass over ``path``: it decodes the whole file (any decoding error refuses it),
    measures the loudness (ffmpeg's ebur128), the true peak (``TruePeak``, on the samples
    ffmpeg decodes), the length as decoded (a header's figure can be off by a frame or more:
    MP3 estimates it) and, with ``silence_db``, the silence at both ends.

    With ``copy_to``, the same decoded samples are also written there, resampled to
    ``copy_rate`` and mixed down to stereo if they have more channels (32-bit float, raw): what
    the playout copy is rendered from, without decoding the file again. ``progress`` is called
    between blocks with the number of channels and the seconds decoded so far (it may raise to
    stop the pass)."""
    measures = [f"silencedetect=noise={silence_db:g}dB:d={SILENCE_MIN_S}"] if silence_db else []
    measures.append(LOUDNESS_FILTER)
    # times counted in decoded samples (a WMA decoder stamps its first frame 86 ms)
    split = 3 if copy_to is not None else 2
    graph = (
        f"[0:a:0]asetpts=N/SR/TB,asplit={split}[m][p]{'[c]' if copy_to else ''};"
        f"[m]{','.join(measures)}[n]"
    )
    if copy_to is not None:
        graph += f";[c]aresample={copy_rate},aformat=sample_fmts=flt:channel_layouts=mono|stereo[o]"
    args = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-v", "info",
            "-i", str(path), "-filter_complex", graph,
            "-map", "[n]", "-f", "null", "-",
            "-map", "[p]", "-c:a", "pcm_f32le", "-f", "wav", "pipe:1"]  # fmt: skip
    if copy_to is not None:
        args += ["-map", "[o]", "-c:a", "pcm_f32le", "-f", "f32le", "-y", str(copy_to)]
    found: dict[str, float] = {}

    def read(out: IO[bytes]) -> int:
        try:
            rate, channels = read_wav_header(out)
        except AudioError:
            return 0  # ffmpeg failed before any audio: its log says why
        found.update(rate=rate, channels=channels)
        meter, frame, frames = TruePeak(channels), 4 * channels, 0
        while raw := out.read(16384 * frame):
            usable = len(raw) - len(raw) % frame
            meter.feed(np.frombuffer(raw[:usable], dtype=np.float32).reshape(-1, channels))
            frames += usable // frame
            if progress is not None:
                progress(channels, frames / rate)
        found.update(peak=meter.peak)
        return frames

    frames, returncode, log = stream(args, read, TIMEOUT_S * 10)
    decode_errors = [line for line in log.splitlines() if "Error while decoding" in line]
    if decode_errors or returncode != 0:
        name = codec() if callable(codec) else codec  # for the message (a probe may be late)
        raise decoding_error(name, "\n".join(decode_errors) or log.strip()[-300:])
    if "Summary:" not in log or not found.get("rate"):
        raise AudioError(f"ffmpeg could not measure the clip ({log.strip()[-200:]})")
    sample_rate, channels = int(found["rate"]), int(found["channels"])
    duration = frames / sample_rate
    lead = tail = 0.0
    if silence_db is not None:
        starts = [float(m[1]) for m in re.finditer(r"silence_start: " + _NUMBER, log)]
        ends = [float(m[1]) for m in re.finditer(r"silence_end: " + _NUMBER, log)]
        if starts and starts[0] <= 0.001:
            lead = ends[0] if ends else duration
        if starts and (len(ends) < len(starts) or ends[-1] >= duration - 0.001):
            tail = max(0.0, duration - starts[-1])
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
