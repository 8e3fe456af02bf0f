"""The import's look-ahead true-peak limiter: peaks held under the ceiling (measured by the
second meter's scipy oversampling), nothing touched under it, the same result whatever the
block sizes, and a gain that never jumps."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from playout.library.limiter import Limiter
from playout.library.truepeak import Between, TruePeak, interpolation_filter
from tests.second_meter import true_peak

RATE = 44100
CEILING = -1.2


def run(limiter: Limiter, x: npt.NDArray[np.float32], block: int) -> tuple[np.ndarray, np.ndarray]:
    outs, plains = [], []
    for start in range(0, len(x), block):
        out, plain = limiter.feed(x[start : start + block])
        outs.append(out)
        plains.append(plain)
    out, plain = limiter.flush()
    return np.concatenate([*outs, out]), np.concatenate([*plains, plain])


def signal(kind: str, seconds: float = 3.0) -> npt.NDArray[np.float32]:
    t = np.arange(int(RATE * seconds)) / RATE
    rng = np.random.default_rng(7)
    if kind == "fs/4 at 45 degrees":  # every sample at 0.707 of the peak between them
        x = np.sin(2 * np.pi * RATE / 4 * t + np.pi / 4) * np.minimum(1, t / 0.2)  # faded in
    elif kind == "speech-like bursts":  # noise chopped into syllables, peaks far above RMS
        x = rng.standard_normal(len(t)) * 0.3 * (np.sin(2 * np.pi * 3 * t) > 0.2)
    elif kind == "clicks":  # lone full-scale samples in a quiet bed
        x = rng.standard_normal(len(t)) * 0.01
        x[:: RATE // 7] = 1.0
    else:  # a low tone with an overshooting square edge
        x = np.sign(np.sin(2 * np.pi * 60 * t)) * 0.9 + 0.3 * np.sin(2 * np.pi * 440 * t)
    stereo = np.stack([x, 0.8 * np.roll(x, 5)], axis=1)
    return (stereo * 10 ** (6 / 20)).astype(np.float32)  # 6 dB over: it has work to do


@pytest.mark.parametrize(
    "kind", ["fs/4 at 45 degrees", "speech-like bursts", "clicks", "square and tone"]
)
def test_true_peaks_stay_under_the_ceiling(kind: str) -> None:
    x = signal(kind)
    assert true_peak(x) > CEILING + 3
    out, plain = run(Limiter(CEILING, 2, RATE), x, 65536)
    assert len(out) == len(x) and np.array_equal(plain, x)
    if kind == "fs/4 at 45 degrees":  # exactly known: the peaks lie halfway between samples
        # (scipy's resampler reads this one 0.2 dB high: its filter's ripple at fs/4)
        peak = 20 * math.log10(float(np.abs(out).max()) / math.sin(math.pi / 4))
    else:
        peak = true_peak(out)
    assert peak <= CEILING + 0.1, peak


def test_audio_under_the_ceiling_is_untouched() -> None:
    x = signal("speech-like bursts") * np.float32(10 ** (-12 / 20))
    assert true_peak(x) < CEILING - 1
    out, _ = run(Limiter(CEILING, 2, RATE), x, 8192)
    assert np.array_equal(out, x)


@pytest.mark.parametrize("block", [1, 777, 4096, 100_000])
def test_the_block_sizes_do_not_change_the_result(block: int) -> None:
    x = signal("speech-like bursts", 1.0)
    reference, _ = run(Limiter(CEILING, 2, RATE), x, 65536)
    out, _ = run(Limiter(CEILING, 2, RATE), x, block)
    # the same to float rounding (BLAS may sum a matrix product's rows in another order
    # for another number of rows); an edge effect would differ by whole decibels
    assert np.abs(out - reference).max() <= 1e-6


def test_the_gain_ramps_and_only_where_needed() -> None:
    """One click in a quiet tone: the gain falls over the attack before it, holds, comes back
    over the same time after it, and is 1 everywhere else."""
    x = (0.1 * np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE)).astype(np.float32)
    x[RATE // 2] = 1.0
    x = x[:, None]
    limiter = Limiter(CEILING, 1, RATE, attack_ms=2, hold_ms=5)
    out, plain = run(limiter, x, 4096)
    gain = np.ones(len(x))
    moved = plain[:, 0] != 0
    gain[moved] = out[moved, 0] / plain[moved, 0]
    touched = np.flatnonzero(gain < 0.9999)
    span_ms = (touched[-1] - touched[0]) * 1000 / RATE
    # attack + hold + release, each rounded up to whole 32-sample chunks, one more each side
    assert 2 * 2 + 5 - 1 <= span_ms <= 2 * 2 + 5 + 4, span_ms
    assert touched[0] < RATE // 2 < touched[-1]
    deepest = 20 * math.log10(float(gain.min()))
    assert math.isclose(deepest, CEILING, abs_tol=0.3)  # 0 dBFS down to it
    steps = np.abs(np.diff(gain))
    assert steps.max() < 0.2 / (0.002 * RATE) * 2  # a ramp over ~2 ms, not a jump


def test_chunk_pairs_give_every_window_s_points() -> None:
    """``Between.points`` (two chunks times one matrix) equals each window of 32 samples times
    the filter's phases, for every window starting in the chosen chunks; and ``TruePeak`` fed
    in uneven blocks finds the largest of them all."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal(32 * 40).astype(np.float32)
    between = Between()
    phases = interpolation_filter(Between.FACTOR, Between.TAPS)[::-1, 1:]
    chunks = np.array([0, 3, 4, 17, 38])
    got = between.points(x, chunks).reshape(len(chunks), 32, 3)
    for row, chunk in enumerate(chunks):
        for start in range(32):
            window = x[chunk * 32 + start : chunk * 32 + start + 32]
            assert np.allclose(got[row, start], window @ phases, atol=1e-5)
    # silence before the first sample, as the meter starts with
    lead_in = np.concatenate([np.zeros(31, dtype=np.float32), x])
    everything = np.lib.stride_tricks.sliding_window_view(lead_in, 32) @ phases
    meter = TruePeak(1)
    for start in range(0, len(x), 333):
        meter.feed(x[start : start + 333, None])
    expected = max(float(np.abs(x).max()), float(np.abs(everything).max()))
    assert meter.peak == pytest.approx(expected, abs=1e-5)
