"""Write the playout copy and measure it on the way.

The measuring pass (``meter.scan``) left the decoded source resampled to the output rate
(mixed down to stereo if it had more channels) in a raw 32-bit float file. This reads it block
by block, from the first sound to the last: the gain, the look-ahead true-peak limiter when the
peaks need it (``limiter.Limiter``), 16-bit samples into the WAV, their true peak, and their
correlation with the samples before the gain. ffmpeg's ebur128, running beside it, measures
the 16-bit copy's loudness from what is written to it. Memory stays bounded whatever the
clip's length.
"""

from __future__ import annotations

import contextlib
import struct
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from playout.i18n import msg
from playout.library.limiter import Limiter
from playout.library.meter import LOUDNESS_FILTER, Correlation, Meter, integrated, started_meter
from playout.library.truepeak import Samples, TruePeak

OUTPUT_RATE = 44100
_BLOCK_FRAMES = 65536


@dataclass(frozen=True)
class Rendered:
    loudness: float  # LUFS of the written copy (ffmpeg's ebur128)
    true_peak: float  # dBTP of the written copy
    similarity: float  # correlation of the copy with its (trimmed, downmixed) source
    frames: int


def loudness_meter() -> contextlib.AbstractContextManager[Meter]:
    """A started ``Meter`` of a copy's loudness (ffmpeg's ebur128 on its 16-bit samples, as
    they are written, after a WAV header: ``render`` writes it), stopped at the end. Started
    before the source is decoded, its start runs beside the decoding ffmpeg's (it matters with
    a distribution's shared ffmpeg: ~0.13 s of CPU)."""
    return started_meter(["-f", "wav"], LOUDNESS_FILTER)


def stream_header(channels: int) -> bytes:
    """The WAV header of 16-bit samples at the output rate of a length not known yet (as
    ffmpeg writes one to a pipe)."""
    frame = 2 * channels
    fmt = struct.pack("<HHIIHH", 1, channels, OUTPUT_RATE, OUTPUT_RATE * frame, frame, 16)
    unknown = b"\xff\xff\xff\xff"
    return b"".join([b"RIFF", unknown, b"WAVE", b"fmt ", struct.pack("<I", len(fmt)), fmt,
                     b"data", unknown])  # fmt: skip


def render(
    raw: Path,
    out: Path,
    channels: int,
    span: tuple[int, int],
    gain_db: float,
    ceiling_db: float | None,
    meter: Meter | None = None,
    overshoot_db: float | None = None,
) -> Rendered:
    """Write the playout copy to ``out`` (WAV, 16-bit, 44.1 kHz, ``channels`` channels) from
    the frames ``span`` = (first, count) of ``raw`` (float, 44.1 kHz, ``channels``), with the
    gain, limited to ``ceiling_db`` dBTP when given (``overshoot_db``: see ``Limiter``);
    ``meter`` (started beforehand, so it is ready) measures it."""
    with contextlib.ExitStack() as stack:
        if meter is None:
            meter = stack.enter_context(loudness_meter())
        meter.write(stream_header(channels))
        limiter = None
        if ceiling_db is not None:
            limiter = Limiter(ceiling_db, channels, OUTPUT_RATE, overshoot_db=overshoot_db)
        writer = _Writer(out, channels, 10 ** (gain_db / 20), limiter, meter)
        with raw.open("rb") as source:
            source.seek(span[0] * 4 * channels)
            frames = writer.consume(source, span[1])
        loudness = integrated(meter.log(msg("the converted clip")))
    return Rendered(
        loudness=loudness,
        true_peak=writer.peak.dbtp,
        similarity=writer.match.value,
        frames=frames,
    )


class _Writer:
    """Gain, limiter, 16-bit, WAV, meters: for each block of float samples read."""

    def __init__(
        self, out: Path, channels: int, gain: float, limiter: Limiter | None, meter: Meter
    ) -> None:
        self.out, self.channels, self.gain, self.meter = out, channels, gain, meter
        self.limiter = limiter
        self.peak, self.match = TruePeak(channels), Correlation()

    def consume(self, source: IO[bytes], count: int) -> int:
        frames, size = 0, 4 * self.channels
        with wave.open(str(self.out), "wb") as wav:
            wav.setnchannels(self.channels)
            wav.setsampwidth(2)
            wav.setframerate(OUTPUT_RATE)
            while count > 0 and (raw := source.read(min(count, _BLOCK_FRAMES) * size)):
                usable = len(raw) - len(raw) % size
                count -= usable // size
                block = np.frombuffer(raw[:usable], dtype="<f4").reshape(-1, self.channels)
                frames += self._write(wav, block * np.float32(self.gain))
            if self.limiter is not None:
                frames += self._write(wav, *self.limiter.flush())
        return frames

    def _write(self, wav: wave.Wave_write, block: Samples, plain: Samples | None = None) -> int:
        if plain is None and self.limiter is not None:
            block, plain = self.limiter.feed(block)
        scaled = block * np.float32(32768.0)
        np.rint(scaled, out=scaled)
        np.clip(scaled, -32768, 32767, out=scaled)
        data = scaled.astype("<i2").tobytes()
        wav.writeframesraw(data)
        self.meter.write(data)
        scaled *= np.float32(1 / 32768)  # the 16-bit samples as they will be read (exactly)
        self.peak.feed(scaled)
        self.match.feed(scaled, block if plain is None else plain)
        return len(scaled)
