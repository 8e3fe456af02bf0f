"""True peak (ITU-R BS.1770 annex 2): the signal oversampled 4x with a Kaiser-windowed sinc,
computed only where it can matter. The limiter uses the same filter."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

Samples = npt.NDArray[np.float32]


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


class Between:
    """The points a 4x oversampling puts between samples (``interpolation_filter``), for
    chunks of ``CHUNK`` samples at once: every window of ``TAPS`` samples starting in chunk j
    lies in chunks j and j + 1, so one matrix product of those two chunks (2 x CHUNK samples,
    gathered without copying windows) gives the three points between samples of each window.
    Phase 0 (the samples themselves) is left out: a sample peak covers it."""

    FACTOR, TAPS = 4, 32  # 128-tap Kaiser interpolation filter
    CHUNK = TAPS

    def __init__(self) -> None:
        # in convolution order: a window's point p is sum(window[k] * phases[k, p])
        phases = interpolation_filter(self.FACTOR, self.TAPS)[::-1, 1:]
        # an interpolated point is at most this times the largest sample under the filter
        self.gain = float(np.abs(phases).sum(axis=0).max())
        c = self.CHUNK
        matrix = np.zeros((2 * c, c, self.FACTOR - 1), dtype=np.float32)
        for start in range(c):
            matrix[start : start + self.TAPS, start] = phases
        self.matrix = matrix.reshape(2 * c, -1)

    def points(self, samples: Samples, chunks: npt.NDArray[np.intp]) -> Samples:
        """For each chunk j in ``chunks``, the points between samples of the windows starting
        in it: (len(chunks), CHUNK x 3), window by window. ``samples`` (one channel) must reach
        (max(chunks) + 2) x CHUNK."""
        c = self.CHUNK
        pairs = sliding_window_view(samples, 2 * c)[::c]  # row j: chunks j and j + 1
        return pairs[chunks] @ self.matrix


class TruePeak:
    """True peak (BS.1770 annex 2): the peak of the signal oversampled 4x, measured block by
    block with the filter's history carried over, so block edges add nothing.

    An interpolated sample is at most ``Between.gain`` (the largest sum of a phase's absolute
    taps) times the largest sample under the filter, so only chunks whose samples come that
    close to the peak found so far are interpolated (``Between``); the rest cannot hold the
    true peak."""

    TAPS = CHUNK = Between.CHUNK

    def __init__(self, channels: int) -> None:
        self.between = Between()
        self.history = np.zeros((self.TAPS - 1, channels), dtype=np.float32)
        self.peak = 0.0

    def feed(self, block: Samples) -> None:
        if not len(block):
            return
        ext = np.concatenate([self.history, block])
        self.history = ext[-(self.TAPS - 1) :]
        windows_n = len(ext) - self.TAPS + 1  # window i covers ext[i : i + TAPS]
        chunks = -(-len(ext) // self.CHUNK)
        padded = np.zeros(((chunks + 1) * self.CHUNK, ext.shape[1]), dtype=np.float32)
        padded[: len(ext)] = ext
        # one figure per chunk for all channels: a contiguous reduction (numpy is slow
        # reducing the middle axis of (chunk, sample, channel))
        most = np.abs(padded).reshape(chunks + 1, -1).max(axis=1)
        self.peak = max(self.peak, float(most.max()))
        # the windows starting in chunk j reach at most into chunk j + 1
        hot = np.flatnonzero(np.maximum(most[:-1], most[1:]) * self.between.gain > self.peak)
        if not len(hot):
            return
        starts = hot[:, None] * self.CHUNK + np.arange(self.CHUNK)
        for channel in range(ext.shape[1]):
            points = self.between.points(padded[:, channel], hot)
            if starts[-1, -1] >= windows_n:  # windows past the samples: the next block's
                points.reshape(len(hot), self.CHUNK, -1)[starts >= windows_n] = 0.0
            # whole-array reductions: numpy is slow reducing a short last axis
            self.peak = max(self.peak, float(points.max()), float(-points.min()))

    @property
    def dbtp(self) -> float:
        return 20 * math.log10(self.peak) if self.peak > 0 else -math.inf
