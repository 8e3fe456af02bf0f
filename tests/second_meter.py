"""A second, independent meter for the tests: loudness (BS.1770, pyloudnorm) and true peak
(scipy oversampling) of audio decoded by pydub, to check what the import measured with ffmpeg."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyloudnorm
from pydub import AudioSegment
from scipy.signal import correlate, resample_poly

Samples = npt.NDArray[np.float32]  # shape (frames, channels), values in [-1, 1]

_BLOCK = 10 * 48000  # frames per true-peak block (bounded memory on long clips)
_OVERLAP = 64


def integrated_loudness(samples: Samples, rate: int) -> float:
    """Integrated loudness in LUFS (-inf for silence)."""
    if len(samples) < rate * 0.4:  # the meter needs one 400 ms block
        padded = np.zeros((int(rate * 0.4) + 1, samples.shape[1]), dtype=np.float32)
        padded[: len(samples)] = samples
        samples = padded
    return float(pyloudnorm.Meter(rate).integrated_loudness(samples))


def true_peak(samples: Samples) -> float:
    """True peak in dBTP: the sample peak after 4x oversampling (BS.1770 annex 2)."""
    peak = 0.0
    for start in range(0, len(samples), _BLOCK):
        block = samples[max(start - _OVERLAP, 0) : start + _BLOCK + _OVERLAP]
        up = resample_poly(block, 4, 1, axis=0)
        peak = max(peak, float(np.max(np.abs(up))) if up.size else 0.0)
    return 20 * math.log10(peak) if peak > 0 else -math.inf


def samples_of(segment: AudioSegment) -> Samples:
    scale = float(1 << (8 * segment.sample_width - 1))
    data = np.array(segment.get_array_of_samples(), dtype=np.float32) / scale
    return data.reshape(-1, segment.channels)


def pcm(path: Path, channels: int = 1) -> np.ndarray:
    """The samples of a file as ffmpeg decodes them (44.1 kHz float), for comparisons."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-ac", str(channels),
         "-ar", "44100", "-f", "f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.float32)


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """The best normalised correlation of ``b`` with ``a`` at any shift (the import trims the
    silence at the ends, so the copy starts later in the source)."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    shifted = correlate(a, b, mode="valid" if len(a) >= len(b) else "full", method="fft")
    best = int(np.argmax(np.abs(shifted)))
    start = best if len(a) >= len(b) else 0
    part = a[start : start + len(b)]
    n = min(len(part), len(b))
    return float(np.dot(part[:n], b[:n]) / np.sqrt(np.dot(part[:n], part[:n]) * np.dot(b, b)))


def measure(path: Path) -> tuple[float, float]:
    """(integrated loudness LUFS, true peak dBTP) of a file, by this second meter."""
    seg = AudioSegment.from_file(path)
    samples = samples_of(seg)
    return integrated_loudness(samples, seg.frame_rate), true_peak(samples)
