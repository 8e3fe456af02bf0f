"""Prepare a clip for air: decode, check, trim silence, normalise loudness, write WAV.

The playout copy is WAV, PCM 16-bit, 44.1 kHz, mono or stereo as the source (more channels
are mixed down to stereo). WAV plays with no decoder delay or encoder padding in libvlc, so
cueing is exact and the duration is sample-accurate, and it costs an old station PC nothing to
decode; 44.1 kHz is what sound cards and the PulseAudio sink run at, so nothing is resampled
on air. The original file is never modified.

Loudness is measured with pyloudnorm (BS.1770). The gain is applied by ffmpeg together with a
limiter running at 4x the output rate, so true peaks stay under the ceiling; the gain is
corrected and the pass repeated until the measured loudness is on target.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError
from pydub.silence import detect_leading_silence

from playout.library.loudness import Samples, integrated_loudness, true_peak
from playout.library.probe import AudioError, decode, probe
from playout.schedule.model import LibrarySettings
from playout.schedule.types import format_span

OUTPUT_RATE = 44100
LIMITER_RATE = 4 * OUTPUT_RATE
MAX_PASSES = 5
ON_TARGET_LU = 0.1


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


def samples_of(segment: AudioSegment) -> Samples:
    scale = float(1 << (8 * segment.sample_width - 1))
    data = np.array(segment.get_array_of_samples(), dtype=np.float32) / scale
    return data.reshape(-1, segment.channels)


def _load(source: Path) -> AudioSegment:
    try:
        return AudioSegment.from_file(source)
    except (CouldntDecodeError, IndexError, OSError) as exc:
        raise AudioError(f"the audio cannot be decoded ({exc})") from exc


def prepare(source: Path, settings: LibrarySettings, out: Path) -> Prepared:
    """Check ``source`` and write its playout copy to ``out``.

    Raises :class:`AudioError` with the reason to reject it (``out`` may then hold a partial
    file, which the caller removes)."""
    probe(source)  # not audio, empty, no stream
    decode(source)  # damaged, truncated
    segment = _load(source)
    length = timedelta_ms(len(segment))
    if len(segment) < settings.min_duration.total_seconds() * 1000:
        raise AudioError(
            f"the clip is too short ({length}; at least {format_span(settings.min_duration)})"
        )
    if len(segment) > settings.max_duration.total_seconds() * 1000:
        raise AudioError(
            f"the clip is too long ({length}; at most {format_span(settings.max_duration)})",
            "cut it, or raise station.library.max_duration",
        )
    threshold = settings.silence_threshold
    lead = detect_leading_silence(segment, silence_threshold=threshold, chunk_size=5)
    if segment.max_dBFS == -math.inf or lead >= len(segment):
        raise AudioError(
            f"the clip is entirely silent (nothing louder than {threshold:g} dBFS)",
            "check the recording; lower station.library.silence_threshold for very quiet clips",
        )
    tail = _trailing_silence(segment, threshold, chunk_ms=5)
    trimmed = segment[lead : len(segment) - tail]
    del segment
    if len(trimmed) < settings.min_duration.total_seconds() * 1000:
        raise AudioError(
            f"after trimming silence only {timedelta_ms(len(trimmed))} of sound is left "
            f"(at least {format_span(settings.min_duration)})"
        )
    channels = min(trimmed.channels, 2)
    before = samples_of(trimmed)
    loudness_before = integrated_loudness(before, trimmed.frame_rate)
    peak_before = true_peak(before)
    del before
    with tempfile.TemporaryDirectory(prefix="playout-import-") as tmp:
        staged = Path(tmp) / "trimmed.wav"
        trimmed.export(staged, format="wav")
        del trimmed
        gain = settings.loudness - loudness_before
        ceiling = settings.true_peak - 0.2
        for _ in range(MAX_PASSES):
            _render(staged, out, gain, ceiling, channels)
            result = _load(out)
            after = samples_of(result)
            loudness_after = integrated_loudness(after, OUTPUT_RATE)
            peak_after = true_peak(after)
            frames = len(after)
            del after
            if abs(loudness_after - settings.loudness) <= ON_TARGET_LU and (
                peak_after <= settings.true_peak
            ):
                break
            gain += settings.loudness - loudness_after
            if peak_after > settings.true_peak:
                ceiling -= peak_after - settings.true_peak + 0.05
    return Prepared(
        path=out,
        duration_ms=round(frames * 1000 / OUTPUT_RATE),
        sample_rate=OUTPUT_RATE,
        channels=channels,
        loudness_before=round(loudness_before, 2),
        peak_before=round(peak_before, 2),
        loudness_after=round(loudness_after, 2),
        peak_after=round(peak_after, 2),
        trimmed_ms=lead + tail,
    )


def already_prepared(path: Path, settings: LibrarySettings) -> Prepared | None:
    """The facts of ``path`` if it is already a playout copy on target (it can be catalogued
    where it is), else None."""
    info = probe(path)
    if (info.codec, info.sample_rate) != ("pcm_s16le", OUTPUT_RATE) or info.channels > 2:
        return None
    decode(path)
    samples = samples_of(_load(path))
    loudness, peak = integrated_loudness(samples, OUTPUT_RATE), true_peak(samples)
    if abs(loudness - settings.loudness) > 0.5 or peak > settings.true_peak + 0.05:
        return None
    return Prepared(
        path=path,
        duration_ms=round(len(samples) * 1000 / OUTPUT_RATE),
        sample_rate=OUTPUT_RATE,
        channels=info.channels,
        loudness_before=round(loudness, 2),
        peak_before=round(peak, 2),
        loudness_after=round(loudness, 2),
        peak_after=round(peak, 2),
        trimmed_ms=0,
    )


def _trailing_silence(segment: AudioSegment, threshold: float, chunk_ms: int) -> int:
    """Milliseconds of silence at the end (like pydub's leading detection, without a reversed
    copy of the whole clip)."""
    end = len(segment)
    while end > 0 and segment[max(end - chunk_ms, 0) : end].dBFS <= threshold:
        end -= chunk_ms
    return len(segment) - max(end, 0)


def timedelta_ms(ms: int) -> str:
    return f"{ms / 1000:.1f} s"


def _render(source: Path, out: Path, gain_db: float, ceiling_db: float, channels: int) -> None:
    limit = 10 ** (ceiling_db / 20)
    chain = (
        f"aresample={LIMITER_RATE},volume={gain_db:.4f}dB,"
        f"alimiter=limit={limit:.6f}:level=disabled:attack=0.5:release=40,"
        f"aresample={OUTPUT_RATE}"
    )
    proc = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-i",
            str(source),
            "-af",
            chain,
            "-ac",
            str(channels),
            "-ar",
            str(OUTPUT_RATE),
            "-c:a",
            "pcm_s16le",
            "-map_metadata",
            "-1",
            "-fflags",
            "+bitexact",
            "-flags:a",
            "+bitexact",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if proc.returncode != 0:
        raise AudioError(f"ffmpeg could not convert the clip ({proc.stderr.strip()[-200:]})")
