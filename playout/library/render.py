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
import subprocess
import tempfile
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from playout.library.limiter import Limiter, Samples
from playout.library.meter import (
    LOUDNESS_FILTER,
    Correlation,
    TruePeak,
    integrated,
    widen_pipe,
)
from playout.library.probe import TIMEOUT_S, AudioError, tool

OUTPUT_RATE = 44100
_BLOCK_FRAMES = 65536


@dataclass(frozen=True)
class Rendered:
    loudness: float  # LUFS of the written copy (ffmpeg's ebur128)
    true_peak: float  # dBTP of the written copy
    similarity: float  # correlation of the copy with its (trimmed, downmixed) source
    frames: int


class LoudnessMeter:
    """ffmpeg's ebur128 reading 16-bit samples from a pipe as they are written; its log goes to
    ``log`` (the caller's temporary file)."""

    def __init__(self, channels: int, log: IO[bytes]) -> None:
        self._log = log
        self._proc = subprocess.Popen(
            [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-v", "info",
             "-f", "s16le", "-ar", str(OUTPUT_RATE), "-ac", str(channels), "-i", "pipe:0",
             "-af", LOUDNESS_FILTER, "-f", "null", "-"],
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
            self._broken = True  # it died: its log says why (below)

    def loudness(self) -> float:
        assert self._proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self._proc.stdin.close()
        self._proc.wait(timeout=TIMEOUT_S)
        self._log.seek(0)
        log = self._log.read().decode("utf-8", "replace")
        if self._proc.returncode != 0 or "Summary:" not in log:
            raise AudioError(f"ffmpeg could not measure the converted clip ({log.strip()[-200:]})")
        return integrated(log)

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdin is not None:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()


@contextlib.contextmanager
def loudness_meter(channels: int) -> Iterator[LoudnessMeter]:
    """A started ``LoudnessMeter``, stopped at the end."""
    with tempfile.TemporaryFile() as log:
        meter = LoudnessMeter(channels, log)
        try:
            yield meter
        finally:
            meter.close()


def render(
    raw: Path,
    out: Path,
    channels: int,
    span: tuple[int, int],
    gain_db: float,
    ceiling_db: float | None,
    meter: LoudnessMeter | None = None,
    overshoot_db: float | None = None,
) -> Rendered:
    """Write the playout copy to ``out`` (WAV, 16-bit, 44.1 kHz, ``channels`` channels) from
    the frames ``span`` = (first, count) of ``raw`` (float, 44.1 kHz, ``channels``), with the
    gain, limited to ``ceiling_db`` dBTP when given (``overshoot_db``: see ``Limiter``);
    ``meter`` (started beforehand, so it is ready) measures it."""
    with contextlib.ExitStack() as stack:
        if meter is None:
            meter = stack.enter_context(loudness_meter(channels))
        limiter = None
        if ceiling_db is not None:
            limiter = Limiter(ceiling_db, channels, OUTPUT_RATE, overshoot_db=overshoot_db)
        writer = _Writer(out, channels, 10 ** (gain_db / 20), limiter, meter)
        with raw.open("rb") as source:
            source.seek(span[0] * 4 * channels)
            frames = writer.consume(source, span[1])
        loudness = meter.loudness()
    return Rendered(
        loudness=loudness,
        true_peak=writer.peak.dbtp,
        similarity=writer.match.value,
        frames=frames,
    )


class _Writer:
    """Gain, limiter, 16-bit, WAV, meters: for each block of float samples read."""

    def __init__(
        self, out: Path, channels: int, gain: float, limiter: Limiter | None, meter: LoudnessMeter
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
        pcm = np.clip(np.rint(block * 32768.0), -32768, 32767).astype("<i2")
        data = pcm.tobytes()
        wav.writeframesraw(data)
        self.meter.write(data)
        copy = pcm.astype(np.float32) / 32768.0
        self.peak.feed(copy)
        self.match.feed(copy, block if plain is None else plain)
        return len(pcm)
