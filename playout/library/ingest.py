"""Prepare a clip for air: decode, check, trim silence, normalise loudness, write WAV.

The playout copy is WAV, PCM 16-bit, 44.1 kHz, mono or stereo as the source (more channels
are mixed down to stereo). WAV plays with no decoder delay or encoder padding in libvlc, so
cueing is exact and the duration is sample-accurate, and it costs an old station PC nothing to
decode; 44.1 kHz is what sound cards and the PulseAudio sink run at, so nothing is resampled
on air. The original file is never modified.

Everything goes through ffmpeg, one streaming pass at a time (``meter.py``): ffmpeg knows every
format's sample layout, so nothing is decoded wrongly, and memory does not grow with the clip.
Loudness and true peak are measured with ffmpeg's EBU R128 meter (``ebur128``); the gain is
applied together with a limiter running at 4x the output rate, so true peaks stay under the
ceiling; the gain is corrected and the pass repeated until the loudness is on target. Last, the
copy is compared with its source (correlation, block by block): a copy that does not sound
like its source is refused, whatever went wrong.
"""

from __future__ import annotations

import math
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

from playout.library.meter import scan, similarity
from playout.library.probe import AudioError, AudioInfo, probe, tool
from playout.schedule.model import LibrarySettings
from playout.schedule.types import format_span

OUTPUT_RATE = 44100
LIMITER_RATE = 4 * OUTPUT_RATE
MAX_PASSES = 5
ON_TARGET_LU = 0.1
MIN_SIMILARITY = 0.9  # correlation of the copy with its source; a misread file is far lower


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
    seconds = info.duration_ms / 1000
    # decodes it all (damaged, truncated, an unsupported variant are refused here)
    before = scan(source, seconds, info.channels, silence_db=threshold, codec=info.codec)
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
    for _ in range(MAX_PASSES):
        _render(source, out, _downmix(info) + trim, gain, ceiling, channels)
        duration_ms = _wav_ms(out)
        after = scan(out, duration_ms / 1000, channels)
        if abs(after.loudness - settings.loudness) <= ON_TARGET_LU and (
            after.true_peak <= settings.true_peak
        ):
            break
        gain += settings.loudness - after.loudness
        if after.true_peak > settings.true_peak:
            ceiling -= after.true_peak - settings.true_peak + 0.05
    match = similarity(source, _downmix(info) + trim.rstrip(","), out, channels)
    if match < MIN_SIMILARITY:
        raise AudioError(
            f"the converted clip does not match its source (correlation {match:.2f}); the "
            "file's sample format was not decoded correctly",
            "convert it to a plain 16-bit WAV or MP3 first (e.g. ffmpeg -i IN -c:a pcm_s16le "
            "OUT.wav) and import that; please report the file",
        )
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
    found = scan(path, info.duration_ms / 1000, info.channels, codec=info.codec)
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


def _wav_ms(path: Path) -> int:
    """The length of a WAV we wrote, from its header (no decoding)."""
    with wave.open(str(path), "rb") as w:
        return round(w.getnframes() * 1000 / w.getframerate())


def timedelta_ms(ms: int) -> str:
    return f"{ms / 1000:.1f} s"


def _render(
    source: Path, out: Path, prefix: str, gain_db: float, ceiling_db: float, channels: int
) -> None:
    limit = 10 ** (ceiling_db / 20)
    chain = (
        f"{prefix}aresample={LIMITER_RATE},volume={gain_db:.4f}dB,"
        f"alimiter=limit={limit:.6f}:level=disabled:attack=0.5:release=40:latency=1,"
        f"aresample={OUTPUT_RATE}"
    )
    proc = subprocess.run(
        [tool("ffmpeg"), "-nostdin", "-v", "error", "-y", "-i", str(source), "-map", "0:a:0",
         "-af", chain, "-ac", str(channels), "-ar", str(OUTPUT_RATE), "-c:a", "pcm_s16le",
         "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:a", "+bitexact", str(out)],
        capture_output=True, text=True, errors="replace", check=False, timeout=3600,
    )  # fmt: skip
    if proc.returncode != 0:
        raise AudioError(f"ffmpeg could not convert the clip ({proc.stderr.strip()[-200:]})")
