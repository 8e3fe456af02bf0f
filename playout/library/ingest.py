"""Prepare a clip for air: decode, check, trim silence, normalise loudness, write WAV.

The playout copy is WAV, PCM 16-bit, 44.1 kHz, mono or stereo as the source (more channels
are mixed down to stereo). WAV plays with no decoder delay or encoder padding in libvlc, so
cueing is exact and the duration is sample-accurate, and it costs an old station PC nothing to
decode; 44.1 kHz is what sound cards and the PulseAudio sink run at, so nothing is resampled
on air. The original file is never modified.

Everything goes through ffmpeg, one streaming pass at a time: ffmpeg knows every format's
sample layout, so nothing is decoded wrongly, and memory does not grow with the clip. The first
pass (``meter.scan``) decodes the whole source and measures its loudness (ffmpeg's EBU R128
meter, ``ebur128``), true peak and silence at the ends. The second (``render.render``) writes
the copy with the gain — through a limiter running at 4x the output rate when the peaks would
pass the ceiling — and measures the copy on the way: loudness, true peak, and its correlation
with the source. A copy off target is rendered again with the gain corrected; a copy that does
not sound like its source is refused, whatever went wrong.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from threadpoolctl import threadpool_limits

from playout.library.meter import scan
from playout.library.probe import AudioError, AudioInfo, probe
from playout.library.render import OUTPUT_RATE, render
from playout.schedule.model import LibrarySettings
from playout.schedule.types import format_span

MAX_PASSES = 5
ON_TARGET_LU = 0.1
MIN_SIMILARITY = 0.9  # correlation of the copy with its source; a misread file is far lower
HEADROOM_DB = 0.5  # the limiter is left out when the peaks stay this far under the ceiling


@dataclass(frozen=True)
class Prepared:
    path: Path  # the written playout copy (a temporary file until it is moved)
    duration_ms: int
    sample_rate: int
    channels: int
    loudness_before: float
    peak_before: float
    loudness_after: float
    peak_after: float
    trimmed_ms: int


def _downmix(info: AudioInfo) -> str:
    """The filter that mixes more than two channels down to stereo (ffmpeg's matrix)."""
    return "aformat=channel_layouts=stereo," if info.channels > 2 else ""


def prepare(source: Path, settings: LibrarySettings, out: Path) -> Prepared:
    """Check ``source`` and write its playout copy to ``out``.

    Raises :class:`AudioError` with the reason to reject it (``out`` may then hold a partial
    file, which the caller removes)."""
    # the meters' small matrix products run beside ffmpeg: one BLAS thread, not one per core
    with threadpool_limits(limits=1, user_api="blas"):
        return _prepare(source, settings, out)


def _prepare(source: Path, settings: LibrarySettings, out: Path) -> Prepared:
    info = probe(source)  # not audio, empty, no stream
    length = timedelta_ms(info.duration_ms)
    if info.duration_ms < settings.min_duration.total_seconds() * 1000:
        raise AudioError(
            f"the clip is too short ({length}; at least {format_span(settings.min_duration)})"
        )
    if info.duration_ms > settings.max_duration.total_seconds() * 1000:
        raise AudioError(
            f"the clip is too long ({length}; at most {format_span(settings.max_duration)})",
            "cut it, or raise station.library.max_duration",
        )
    threshold = settings.silence_threshold
    # decodes it all (damaged, truncated, an unsupported variant are refused here)
    before = scan(source, info.sample_rate, info.channels, silence_db=threshold, codec=info.codec)
    seconds = before.duration_s
    if before.loudness == -math.inf or before.lead_s >= seconds - 0.001:
        raise AudioError(
            f"the clip is entirely silent (nothing louder than {threshold:g} dBFS)",
            "check the recording; lower station.library.silence_threshold for very quiet clips",
        )
    kept = seconds - before.lead_s - before.tail_s
    if kept * 1000 < settings.min_duration.total_seconds() * 1000:
        raise AudioError(
            f"after trimming silence only {timedelta_ms(round(kept * 1000))} of sound is left "
            f"(at least {format_span(settings.min_duration)})"
        )
    channels = min(info.channels, 2)
    trim = f"atrim=start={before.lead_s:.5f}:end={seconds - before.tail_s:.5f},"
    gain = settings.loudness - before.loudness
    ceiling = settings.true_peak - 0.2
    limited = before.true_peak + gain > ceiling - HEADROOM_DB
    for _ in range(MAX_PASSES):
        after = render(source, out, _downmix(info) + trim, gain, ceiling if limited else None,
                       channels)  # fmt: skip
        if abs(after.loudness - settings.loudness) <= ON_TARGET_LU and (
            after.true_peak <= settings.true_peak
        ):
            break
        gain += settings.loudness - after.loudness
        if after.true_peak > settings.true_peak:
            if limited:
                ceiling -= after.true_peak - settings.true_peak + 0.05
            limited = True
    if after.similarity < MIN_SIMILARITY:
        raise AudioError(
            f"the converted clip does not match its source (correlation "
            f"{after.similarity:.2f}); the file's sample format was not decoded correctly",
            "convert it to a plain 16-bit WAV or MP3 first (e.g. ffmpeg -i IN -c:a pcm_s16le "
            "OUT.wav) and import that; please report the file",
        )
    duration_ms = round(after.frames * 1000 / OUTPUT_RATE)
    return Prepared(
        path=out,
        duration_ms=duration_ms,
        sample_rate=OUTPUT_RATE,
        channels=channels,
        loudness_before=round(before.loudness, 2),
        peak_before=round(before.true_peak, 2),
        loudness_after=round(after.loudness, 2),
        peak_after=round(after.true_peak, 2),
        trimmed_ms=round((before.lead_s + before.tail_s) * 1000),
    )


def already_prepared(path: Path, settings: LibrarySettings) -> Prepared | None:
    """The facts of ``path`` if it is already a playout copy on target (it can be catalogued
    where it is), else None."""
    info = probe(path)
    if (info.codec, info.sample_rate) != ("pcm_s16le", OUTPUT_RATE) or info.channels > 2:
        return None
    with threadpool_limits(limits=1, user_api="blas"):
        found = scan(path, info.sample_rate, info.channels, codec=info.codec)
    loudness, peak = found.loudness, found.true_peak
    if abs(loudness - settings.loudness) > 0.5 or peak > settings.true_peak + 0.05:
        return None
    return Prepared(
        path=path,
        duration_ms=info.duration_ms,
        sample_rate=OUTPUT_RATE,
        channels=info.channels,
        loudness_before=round(loudness, 2),
        peak_before=round(peak, 2),
        loudness_after=round(loudness, 2),
        peak_after=round(peak, 2),
        trimmed_ms=0,
    )


def timedelta_ms(ms: int) -> str:
    return f"{ms / 1000:.1f} s"
