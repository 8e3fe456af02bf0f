"""Streaming measurements with ffmpeg: loudness, true peak, silence at the ends, and how far
the playout copy still matches its source. Every pass reads the file through ffmpeg, which
knows each format's sample layout (integer, float, WAVE_FORMAT_EXTENSIBLE, planar...), and
memory stays bounded whatever the clip's length."""

from __future__ import annotations

import math
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from scipy.signal import firwin, oaconvolve

from playout.library.probe import TIMEOUT_S, AudioError, decoding_error, tool

SILENCE_MIN_S = 0.01  # a quiet stretch this long at an end is trimmed
_NUMBER = r"(-?(?:inf|\d+(?:\.\d+)?))"


@dataclass(frozen=True)
class Scan:
    loudness: float  # LUFS integrated (BS.1770 / EBU R128, ffmpeg's ebur128)
    true_peak: float  # dBTP
    lead_s: float  # silence at the start
    tail_s: float  # silence at the end
    duration_s: float


def _integrated(summary: str) -> float:
    """The integrated loudness of ebur128's summary (-inf for silence, which it prints as -70)."""
    match = re.search(rf"I:\s+{_NUMBER}", summary)
    if match is None:
        raise AudioError("ffmpeg's loudness meter gave no integrated loudness")
    value = float(match[1])
    return -math.inf if value <= -70.0 else value


class TruePeak:
    """True peak (BS.1770 annex 2): the peak of the signal oversampled 4x, measured block by
    block with the filter's history carried over, so block edges add nothing."""

    FACTOR, TAPS = 4, 24  # 96-tap Kaiser interpolation filter, flat to beyond fs/4

    def __init__(self, channels: int) -> None:
        h = firwin(self.FACTOR * self.TAPS, 0.96 / self.FACTOR, window=("kaiser", 9.0))
        h = (h * self.FACTOR).astype(np.float32)
        self.phases = [h[p :: self.FACTOR][:, None] for p in range(self.FACTOR)]
        self.history = np.zeros((self.TAPS - 1, channels), dtype=np.float32)
        self.peak = 0.0

    def feed(self, block: npt.NDArray[np.float32]) -> None:
        if not len(block):
            return
        self.peak = max(self.peak, float(np.abs(block).max()))
        ext = np.concatenate([self.history, block])
        for phase in self.phases:
            out = oaconvolve(ext, phase, mode="valid", axes=0)
            self.peak = max(self.peak, float(np.abs(out).max()))
        self.history = ext[-(self.TAPS - 1) :]

    @property
    def dbtp(self) -> float:
        return 20 * math.log10(self.peak) if self.peak > 0 else -math.inf


def scan(
    path: Path,
    duration_s: float,
    channels: int,
    *,
    silence_db: float | None = None,
    codec: str = "",
) -> Scan:
    """One pass over ``path`` (``duration_s`` long, ``channels`` channels): it decodes the
    whole file (any decoding error refuses it), measures the loudness (ffmpeg's ebur128), the
    true peak (``TruePeak``, on the samples ffmpeg decodes) and, with ``silence_db``, the silence
    at both ends."""
    measures = [f"silencedetect=noise={silence_db:g}dB:d={SILENCE_MIN_S}"] if silence_db else []
    measures.append("ebur128=framelog=verbose")
    graph = f"[0:a:0]asplit=2[m][p];[m]{','.join(measures)}[n]"
    args = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-v", "info",
            "-i", str(path), "-filter_complex", graph,
            "-map", "[n]", "-f", "null", "-",
            "-map", "[p]", "-c:a", "pcm_f32le", "-f", "f32le", "pipe:1"]  # fmt: skip
    meter = TruePeak(channels)
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        frame = 4 * channels
        block = 4 * 48000 * frame
        try:
            while raw := proc.stdout.read(block):
                usable = len(raw) - len(raw) % frame
                meter.feed(np.frombuffer(raw[:usable], dtype=np.float32).reshape(-1, channels))
            proc.wait(timeout=TIMEOUT_S * 10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        err.seek(0)
        log = err.read().decode("utf-8", "replace")
    decode_errors = [line for line in log.splitlines() if "Error while decoding" in line]
    if decode_errors or proc.returncode != 0:
        raise decoding_error(codec, "\n".join(decode_errors) or log.strip()[-300:])
    if "Summary:" not in log:
        raise AudioError(f"ffmpeg could not measure the clip ({log.strip()[-200:]})")
    summary = log[log.rindex("Summary:") :]
    duration = duration_s
    lead = tail = 0.0
    if silence_db is not None:
        starts = [float(m[1]) for m in re.finditer(r"silence_start: " + _NUMBER, log)]
        ends = [float(m[1]) for m in re.finditer(r"silence_end: " + _NUMBER, log)]
        if starts and starts[0] <= 0.001:
            lead = ends[0] if ends else duration
        if starts and (len(ends) < len(starts) or ends[-1] >= duration - 0.001):
            tail = max(0.0, duration - starts[-1])
    return Scan(
        loudness=_integrated(summary),
        true_peak=meter.dbtp,
        lead_s=min(lead, duration),
        tail_s=min(tail, duration),
        duration_s=duration,
    )


def _pcm(path: Path, filters: str, channels: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [tool("ffmpeg"), "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0",
         *(["-af", filters] if filters else []), "-ac", str(channels), "-ar", "44100",
         "-f", "f32le", "-"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def similarity(source: Path, source_filters: str, copy: Path, channels: int) -> float:
    """Correlation of the playout copy with its (trimmed, downmixed) source, read block by
    block: near 1 for the same audio at another level; a file decoded wrongly is far below."""
    block = 44100 * channels * 4
    a_proc, b_proc = _pcm(source, source_filters, channels), _pcm(copy, "", channels)
    sxy = sxx = syy = 0.0
    try:
        assert a_proc.stdout is not None and b_proc.stdout is not None
        while True:
            a_raw, b_raw = a_proc.stdout.read(block), b_proc.stdout.read(block)
            n = min(len(a_raw), len(b_raw)) // 4
            if n == 0:
                break
            a = np.frombuffer(a_raw[: n * 4], dtype=np.float32).astype(np.float64)
            b = np.frombuffer(b_raw[: n * 4], dtype=np.float32).astype(np.float64)
            sxy += float(np.dot(a, b))
            sxx += float(np.dot(a, a))
            syy += float(np.dot(b, b))
    finally:
        for proc in (a_proc, b_proc):
            proc.kill()
            proc.wait()
    if sxx <= 0 or syy <= 0:
        return 0.0
    return sxy / math.sqrt(sxx * syy)
