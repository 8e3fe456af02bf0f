"""Prepare a clip for air: decode, check, trim silence, normalise loudness, write WAV.

The playout copy is WAV, PCM 16-bit, 44.1 kHz, mono or stereo as the source (more channels
are mixed down to stereo). WAV plays with no decoder delay or encoder padding in libvlc, so
cueing is exact and the duration is sample-accurate, and it costs an old station PC nothing to
decode; 44.1 kHz is what sound cards and the PulseAudio sink run at, so nothing is resampled
on air. The original file is never modified.

ffmpeg decodes the source, once: it knows every format's sample layout, so nothing is decoded
wrongly. Its pass (``meter.scan``) measures the loudness (ffmpeg's EBU R128 meter,
``ebur128``, in a second ffmpeg fed the decoded samples), the true peak and the silence at the
ends (in Python), and leaves the decoded samples, resampled to 44.1 kHz, in a raw float file
beside the copy. The second pass
(``render.render``) writes the copy from that file, from the first sound to the last, with the
gain — through a look-ahead true-peak limiter when the peaks would pass the ceiling — and
measures it on the way: loudness (ffmpeg's meter again), true peak, and its correlation with
the source. A copy off target is rendered again with the gain corrected; a copy that does not
sound like its source is refused, whatever went wrong. Every step streams: memory does not grow
with the clip (the raw file does: 21 MB a minute of stereo, removed at the end).

The copy's loudness meter starts with the import, beside the decoding ffmpeg, so it is ready
when the copy is written (an ffmpeg's start is ~10 ms for imageio-ffmpeg's static build, ~0.13
s of CPU for a distribution's shared one: ``probe.tool``). ffprobe runs only when the scan
fails, to say why (not audio, no audio stream, too long: the scan stops once it has decoded
more than the longest allowed).
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from threadpoolctl import threadpool_limits

from playout.i18n import msg
from playout.library.meter import Meter, Scan, scan
from playout.library.probe import AudioError, probe
from playout.library.render import OUTPUT_RATE, loudness_meter, render
from playout.schedule.model import LibrarySettings
from playout.schedule.types import format_span

MAX_PASSES = 5
ON_TARGET_LU = 0.05  # ebur128 measures to 0.001 LU (its frame metadata)
MIN_SIMILARITY = 0.9  # correlation of the copy with its source; a misread file is far lower
QUICK_OVERSHOOT_DB = 2.0  # see Limiter: its first look between samples
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


def prepare(source: Path, settings: LibrarySettings, out: Path) -> Prepared:
    """Check ``source`` and write its playout copy to ``out``.

    Raises :class:`AudioError` with the reason to reject it (``out`` may then hold a partial
    file, which the caller removes)."""
    # the meters' small matrix products run beside ffmpeg: one BLAS thread, not one per core
    with threadpool_limits(limits=1, user_api="blas"):
        return _prepare(source, settings, out)


def _prepare(source: Path, settings: LibrarySettings, out: Path) -> Prepared:
    raw = out.with_suffix(".f32")  # the decoded source at the output rate, between the passes
    # started first, it is ready when the copy is written
    with loudness_meter() as meter:

        def progress(seconds: float) -> None:
            if seconds > settings.max_duration.total_seconds():
                longest = format_span(settings.max_duration)
                raise AudioError(  # stops the pass (_scan asks ffprobe how long it is)
                    msg("the clip is too long (more than {longest})", longest=longest),
                    msg("cut it, or raise station.library.max_duration"),
                )

        try:
            before = _scan(source, settings, raw, progress)
            return _render(raw, out, settings, before, meter)
        finally:
            with contextlib.suppress(FileNotFoundError):
                raw.unlink()


def _check_length(duration_ms: int, settings: LibrarySettings) -> None:
    length = timedelta_ms(duration_ms)
    if duration_ms < settings.min_duration.total_seconds() * 1000:
        raise AudioError(
            f"the clip is too short ({length}; at least {format_span(settings.min_duration)})"
        )
    if duration_ms > settings.max_duration.total_seconds() * 1000:
        raise AudioError(
            f"the clip is too long ({length}; at most {format_span(settings.max_duration)})",
            "cut it, or raise station.library.max_duration",
        )


def _scan(
    source: Path,
    settings: LibrarySettings,
    raw: Path,
    progress: Callable[[float], None],
) -> Scan:
    """The measuring pass. ffprobe runs only when it fails: to say why (not audio, no audio
    stream, too long: the pass stops once it has decoded more than the longest allowed)."""
    threshold = settings.silence_threshold
    facts = functools.cache(lambda: probe(source))  # once, and only if it is needed
    try:
        before = scan(
            source,
            silence_db=threshold,
            codec=lambda: facts().codec,
            copy_to=raw,
            progress=progress,
        )
    except AudioError:
        _check_length(facts().duration_ms, settings)  # or the probe's own reason
        raise
    _check_length(round(before.duration_s * 1000), settings)
    if before.loudness == -math.inf or before.lead_s >= before.duration_s - 0.001:
        raise AudioError(
            f"the clip is entirely silent (nothing louder than {threshold:g} dBFS)",
            "check the recording; lower station.library.silence_threshold for very quiet clips",
        )
    kept = before.duration_s - before.lead_s - before.tail_s
    if kept * 1000 < settings.min_duration.total_seconds() * 1000:
        raise AudioError(
            f"after trimming silence only {timedelta_ms(round(kept * 1000))} of sound is left "
            f"(at least {format_span(settings.min_duration)})"
        )
    return before


def _render(
    raw: Path, out: Path, settings: LibrarySettings, before: Scan, meter: Meter | None
) -> Prepared:
    channels = min(before.channels, 2)
    first = round(before.lead_s * OUTPUT_RATE)
    span = (first, round((before.duration_s - before.tail_s) * OUTPUT_RATE) - first)
    gain = settings.loudness - before.loudness
    ceiling = settings.true_peak - 0.2
    limited = before.true_peak + gain > ceiling - HEADROOM_DB
    tried: tuple[float, float] | None = None  # (gain, loudness) of the pass before
    for attempt in range(MAX_PASSES):
        # the first pass looks for the overshoots recordings hold; a copy still over the
        # ceiling is made again looking for any
        quick = QUICK_OVERSHOOT_DB if attempt == 0 else None
        after = render(raw, out, channels, span, gain, ceiling if limited else None, meter, quick)
        meter = None  # used up: another pass starts its own
        if abs(after.loudness - settings.loudness) <= ON_TARGET_LU and (
            after.true_peak <= settings.true_peak
        ):
            break
        # the limiter takes back part of any gain added: aim by the slope seen so far
        slope = 1.0
        if tried is not None and abs(gain - tried[0]) > 0.01:
            slope = min(1.0, max(0.2, (after.loudness - tried[1]) / (gain - tried[0])))
        tried = (gain, after.loudness)
        gain += (settings.loudness - after.loudness) / slope
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
    return Prepared(
        path=out,
        duration_ms=round(after.frames * 1000 / OUTPUT_RATE),
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
        found = scan(path, codec=info.codec)
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
