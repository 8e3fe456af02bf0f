"""A look-ahead true-peak limiter for the playout copies, block by block, in numpy.

The copy is made offline, so the limiter may look as far ahead as it likes: the gain starts to
fall ``attack_ms`` before a peak that would pass the ceiling, stays down ``hold_ms`` after it
and comes back up over ``attack_ms`` again — no clipping, and no gain riding faster than that.

How the gain is found, on stretches (chunks) of 32 samples:

1. the peak of each chunk, true peak included: a chunk whose samples (and its neighbours')
   stay under ceiling / (the interpolation filter's largest gain) cannot pass the ceiling;
   only the others are oversampled 4x (``truepeak.Between``, as the true-peak meter);
2. the gain each chunk needs (ceiling / peak, at most 1), then the smallest of those from
   ``hold`` chunks back to ``attack`` chunks ahead;
3. that step curve averaged over the last ``attack`` worth of samples: a ramp that is, at every
   sample, at most the gain its own chunk needs (each sample of the average comes from a chunk
   whose minimum covers this one), so the output's peaks stay under the ceiling.

Blocks overlap by a margin wider than all of that, so the result does not depend on where
the blocks fall.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from playout.library.truepeak import Between, Samples


class Limiter:
    CHUNK = Between.CHUNK  # a chunk pair holds every window starting in the first

    def __init__(
        self,
        ceiling_db: float,
        channels: int,
        rate: int,
        *,
        attack_ms: float = 2.0,
        hold_ms: float = 5.0,
        overshoot_db: float | None = None,
    ) -> None:
        """``overshoot_db``: look between samples only where the samples come this close to the
        ceiling (None: wherever the filter could pass it, up to 7.6 dB; a few dB catch what
        real recordings hold, much faster, and the copy's true peak is measured anyway)."""
        self.limit = 10 ** (ceiling_db / 20)
        self.between = Between()
        self.taps = Between.TAPS
        self.filter_gain = self.between.gain
        if overshoot_db is not None:
            self.filter_gain = min(self.filter_gain, 10 ** (overshoot_db / 20))
        self.attack = max(1, round(attack_ms * rate / 1000 / self.CHUNK))  # chunks
        self.hold = max(1, round(hold_ms * rate / 1000 / self.CHUNK))
        self.ramp = self.attack * self.CHUNK  # samples averaged
        span = (self.attack + self.hold + 3) * self.CHUNK + self.ramp + self.taps
        self.margin = -(-span // self.CHUNK) * self.CHUNK  # context on each side
        self.channels = channels
        self._buf = np.zeros((self.margin, channels), dtype=np.float32)  # silence before

    def feed(self, block: Samples) -> tuple[Samples, Samples]:
        """Take ``block`` (frames x channels); return (limited, unlimited) for the samples whose
        gain is known, which lag the input by ``margin`` frames."""
        self._buf = np.concatenate([self._buf, block.astype(np.float32, copy=False)])
        # whole chunks only: the chunks then fall on the same samples whatever the block sizes
        ready = (len(self._buf) - 2 * self.margin) // self.CHUNK * self.CHUNK
        if ready <= 0:
            empty = np.zeros((0, self.channels), dtype=np.float32)
            return empty, empty
        gain = self.gain(self._buf)[self.margin : self.margin + ready]
        plain = self._buf[self.margin : self.margin + ready]
        self._buf = self._buf[ready:]
        return plain * gain[:, None], plain

    def flush(self) -> tuple[Samples, Samples]:
        """The samples still held back (the input has ended: silence after it)."""
        held = len(self._buf) - self.margin
        tail = self.margin + self.CHUNK  # silence enough to release them all, in whole chunks
        limited, plain = self.feed(np.zeros((tail, self.channels), dtype=np.float32))
        return limited[:held], plain[:held]

    def gain(self, x: Samples) -> npt.NDArray[np.float32]:
        """The gain of every sample of ``x`` (exact away from its first and last ``margin``)."""
        c, n = self.CHUNK, len(x)
        chunks = -(-n // c)
        padded = np.zeros((chunks * c + self.taps, x.shape[1]), dtype=np.float32)
        padded[:n] = x
        peaks = np.abs(padded[: chunks * c]).reshape(chunks, -1).max(axis=1)  # contiguous
        near = peaks.copy()  # a window starting in chunk k reaches into chunk k + 1
        near[:-1] = np.maximum(near[:-1], peaks[1:])
        hot = np.flatnonzero(near * self.filter_gain > self.limit)
        if not len(hot):
            return np.ones(n, dtype=np.float32)
        for channel in range(x.shape[1]):
            points = self.between.points(padded[:, channel], hot)
            between = np.maximum(points.max(axis=1), -points.min(axis=1))
            peaks[hot] = np.maximum(peaks[hot], between)
        need = np.minimum(1.0, self.limit / np.maximum(peaks, 1e-12))
        # a window's peak lies in its own chunk or the next: one chunk more on each side
        back, ahead = self.hold + 1, self.attack + 1
        held = np.pad(need, (back, ahead), constant_values=1.0)
        lowest = sliding_window_view(held, back + ahead + 1).min(axis=1)
        steps = np.repeat(lowest, c)[:n]
        sums = np.cumsum(np.concatenate([np.ones(self.ramp), steps]), dtype=np.float64)
        return ((sums[self.ramp :] - sums[: -self.ramp]) / self.ramp).astype(np.float32)
