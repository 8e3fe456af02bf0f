"""One ffmpeg pass that writes the playout copy and measures it on the way.

ffmpeg decodes the source once and splits it: one branch gets the gain (and, when the peaks
need it, the 4x-oversampled limiter) and becomes 16-bit; the other stays untouched as the
reference; ebur128 measures the 16-bit branch. ffmpeg joins the two branches sample for sample
into one stream (copy channels first, then the reference's), so Python reads one pipe, block by
block: it writes the 16-bit samples to the WAV, measures their true peak and correlates them
with the reference. Memory stays bounded whatever the clip's length.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from playout.library.meter import Correlation, TruePeak, integrated, stream
from playout.library.probe import TIMEOUT_S, AudioError, tool

OUTPUT_RATE = 44100
LIMITER_RATE = 4 * OUTPUT_RATE
_BLOCK_FRAMES = 16384
_LAYOUTS = {
    1: ("mono", "stereo", "0.0-FL|1.0-FR"),
    2: ("stereo", "4.0", "0.0-FL|0.1-FR|1.0-FC|1.1-BC"),
}


@dataclass(frozen=True)
class Rendered:
    loudness: float  # LUFS of the written copy (ffmpeg's ebur128)
    true_peak: float  # dBTP of the written copy
    similarity: float  # correlation of the copy with its (trimmed, downmixed) source
    frames: int


def _chain(gain_db: float, ceiling_db: float | None) -> str:
    if ceiling_db is None:  # the peaks stay under the ceiling: gain only
        return f"volume={gain_db:.4f}dB,aresample={OUTPUT_RATE}"
    limit = 10 ** (ceiling_db / 20)
    return (
        f"aresample={LIMITER_RATE},volume={gain_db:.4f}dB,"
        f"alimiter=limit={limit:.6f}:level=disabled:attack=0.5:release=40:latency=1,"
        f"aresample={OUTPUT_RATE}"
    )


def render(
    source: Path, out: Path, prefix: str, gain_db: float, ceiling_db: float | None, channels: int
) -> Rendered:
    """Write the playout copy of ``source`` to ``out`` (WAV, 16-bit, 44.1 kHz, ``channels``
    channels): ``prefix`` filters (downmix, trim), then the gain, limited to ``ceiling_db`` dBTP
    when given."""
    layout, joined, mapping = _LAYOUTS[channels]
    graph = (
        f"[0:a:0]asetpts=N/SR/TB,{prefix}asplit=2[r][g];"
        f"[r]aresample={OUTPUT_RATE},aformat=sample_fmts=flt:channel_layouts={layout}[ref];"
        f"[g]{_chain(gain_db, ceiling_db)},aformat=sample_fmts=s16:channel_layouts={layout},"
        "asplit=2[c][m];[m]ebur128=framelog=verbose[n];"
        f"[c]aformat=sample_fmts=flt[cf];"
        f"[cf][ref]join=inputs=2:channel_layout={joined}:map={mapping}[both]"
    )
    args = [tool("ffmpeg"), "-nostdin", "-hide_banner", "-nostats", "-v", "info",
            "-i", str(source), "-filter_complex", graph,
            "-map", "[both]", "-c:a", "pcm_f32le", "-f", "f32le", "pipe:1",
            "-map", "[n]", "-f", "null", "-"]  # fmt: skip
    measured, returncode, log = stream(
        args, lambda pipe: _consume(pipe, out, channels), TIMEOUT_S * 30
    )
    if returncode != 0 or "Summary:" not in log:
        raise AudioError(f"ffmpeg could not convert the clip ({log.strip()[-200:]})")
    peak, match, frames = measured
    return Rendered(
        loudness=integrated(log[log.rindex("Summary:") :]),
        true_peak=peak,
        similarity=match,
        frames=frames,
    )


def _consume(pipe: IO[bytes], out: Path, channels: int) -> tuple[float, float, int]:
    """Read the joined stream to its end: the copy's channels into ``out`` and the meters,
    both into the correlation. Returns (true peak dBTP, correlation, frames written)."""
    peak, match, frames = TruePeak(channels), Correlation(), 0
    size = 4 * 2 * channels
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(OUTPUT_RATE)
        while raw := pipe.read(_BLOCK_FRAMES * size):
            usable = len(raw) - len(raw) % size
            both = np.frombuffer(raw[:usable], dtype="<f4").reshape(-1, 2 * channels)
            copy, ref = both[:, :channels], both[:, channels:]
            wav.writeframesraw(np.rint(copy * 32768.0).astype("<i2").tobytes())
            frames += len(copy)
            peak.feed(copy)
            match.feed(copy, ref)
    return peak.dbtp, match.value, frames
