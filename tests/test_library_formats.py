"""Audio import of every kind of file a station receives, made with real encoders here.

One master (Vietnamese speech from espeak-ng, low noise at both ends, a second of digital
silence in the middle) is encoded as each format; each is imported, its copy compared with the
file imported (correlation after gain, at the best shift, since the ends are trimmed) and
measured by the second meter and by ffmpeg's ebur128.
"""

from __future__ import annotations

import re
import struct
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from playout.library.catalog import Catalog, ImportStatus, import_clip
from playout.schedule.model import LibrarySettings
from playout.store import open_database
from tests.helpers import make_speech
from tests.second_meter import correlation, measure, pcm
from tests.test_library import NOW

SETTINGS = LibrarySettings()
SPEECH = "Hãy cài đặt ứng dụng Bluezone để bảo vệ mình, bảo vệ cộng đồng."
RATE = 48000


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stereo 48 kHz float WAV: 0.6 s noise peaking near -62 dBFS, speech, 1 s digital
    silence, speech, 0.6 s noise. The speech is compressed as a mastered spot is (peak to
    loudness ratio ~15 dB), so the import's limiter has little to do; espeak's raw output
    (~20 dB) needs ~5 dB of limiting, which leaves a correlation of ~0.97."""
    work = tmp_path_factory.mktemp("master")
    speech = make_speech(work / "speech.wav", SPEECH)
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(speech), "-ac", "1", "-ar", str(RATE),
         "-af", "acompressor=threshold=0.05:ratio=4:attack=2:release=80:makeup=2,volume=-6dB",
         "-f", "f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    voice = np.frombuffer(raw, dtype=np.float32)
    rng = np.random.default_rng(7)
    noise = (rng.standard_normal(int(0.6 * RATE)) * 10 ** (-62 / 20) / 3).astype(np.float32)
    mono = np.concatenate([noise, voice, np.zeros(RATE, np.float32), voice, noise[::-1]])
    stereo = np.stack([mono, 0.8 * mono], axis=1).astype(np.float32)
    path = work / "master.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(RATE), "-ac", "2",
         "-i", "-", "-c:a", "pcm_f32le", str(path)],
        input=stereo.tobytes(), check=True,
    )  # fmt: skip
    return path


def plain_float_wav(master: Path, out: Path) -> Path:
    """A float WAV with the plain IEEE-float header (format tag 3), as some editors write."""
    raw = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(master), "-f", "f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    channels, bits = 2, 32
    fmt = struct.pack("<HHIIHH", 3, channels, RATE, RATE * channels * 4, channels * 4, bits)
    fact = struct.pack("<I", len(raw) // (channels * 4))
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"fact"
        + struct.pack("<I", 4)
        + fact
        + b"data"
        + struct.pack("<I", len(raw))
        + raw
    )
    out.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return out


COVER = ["-map", "0:a", "-map", "1:v", "-c:v", "png", "-disposition:v", "attached_pic",
         "-id3v2_version", "3", "-metadata", "title=Bluezone",
         "-metadata", "artist=Sở TTTT"]  # fmt: skip

# name -> (file name, ffmpeg output options)
FORMATS = {
    "mp3-cbr-32k-mono-22k": (
        "thông báo.mp3",
        ["-c:a", "libmp3lame", "-b:a", "32k", "-ac", "1", "-ar", "22050"],
    ),
    "mp3-vbr-id3-cover": ("spot-vbr.mp3", ["-c:a", "libmp3lame", "-q:a", "4", *COVER]),
    "aac-m4a": ("📢 loa phường.m4a", ["-c:a", "aac", "-b:a", "96k"]),
    "wma": ("tin-tuc.wma", ["-c:a", "wmav2", "-b:a", "64k"]),
    "vorbis": ("spot.ogg", ["-c:a", "libvorbis", "-q:a", "3"]),
    "opus-voice-note": ("ghi-am.opus", ["-c:a", "libopus", "-b:a", "24k", "-ac", "1"]),
    "8-bit": ("old-8bit.wav", ["-c:a", "pcm_u8", "-ar", "22050"]),
    "24-bit-96k": ("studio.wav", ["-c:a", "pcm_s24le", "-ar", "96000"]),
    "float-extensible": ("float-ext.wav", ["-c:a", "pcm_f32le"]),
    "5.1": ("surround.wav", ["-c:a", "pcm_s16le", "-af", "pan=5.1|FL=c0|FR=c1|FC=0.5*c0+0.5*c1"]),
    "telephone-8k-mulaw": ("dien-thoai.wav", ["-c:a", "pcm_mulaw", "-ar", "8000", "-ac", "1"]),
}


def encode(master: Path, folder: Path, name: str) -> Path:
    file_name, options = FORMATS[name]
    out = folder / unicodedata.normalize("NFD", file_name)  # as macOS hands names over
    inputs = ["-i", str(master)]
    if "attached_pic" in options:
        cover = folder / "cover.png"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
             "color=c=red:s=300x300", "-frames:v", "1", str(cover)],
            check=True,
        )  # fmt: skip
        inputs += ["-i", str(cover)]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, *options, str(out)], check=True
    )
    return out


def ebur128(path: Path) -> float:
    proc = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "info", "-i", str(path), "-af", "ebur128", "-f", "null",
         "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = proc.stderr[proc.stderr.rindex("Summary:") :]
    match = re.search(r"I:\s+(-?\d+\.\d)", summary)
    assert match is not None
    return float(match[1])


def longest_silence_s(samples: np.ndarray, rate: int = 44100) -> float:
    quiet = np.abs(samples) < 10 ** (-70 / 20)
    best = run = 0
    for q in quiet:  # simple and exact; the clips are a few seconds long
        run = run + 1 if q else 0
        best = max(best, run)
    return best / rate


@pytest.mark.parametrize("name", list(FORMATS))
def test_each_format_imports_right(name: str, master: Path, tmp_path: Path) -> None:
    source = encode(master, tmp_path, name)
    if name == "float-extensible":
        assert source.read_bytes()[20:22] == b"\xfe\xff"
    catalog = Catalog(open_database(tmp_path / "db" / "playout.db"))
    library = tmp_path / "audio"
    result = import_clip(
        catalog, library, source, into="spots", title=None, settings=SETTINGS, now=NOW
    )
    assert result.status is ImportStatus.IMPORTED
    row = result.clip
    out = library / row.file
    assert unicodedata.is_normalized("NFC", row.title)
    assert row.channels == (1 if "-ac" in FORMATS[name][1] else 2)
    assert correlation(pcm(source), pcm(out)) >= 0.98
    assert abs(ebur128(out) - SETTINGS.loudness) <= 0.1
    loudness, peak = measure(out)  # the second meter
    assert abs(loudness - SETTINGS.loudness) <= 0.3 and peak <= SETTINGS.true_peak + 0.05
    # the noise at the ends is trimmed (with espeak's own pauses), the silence in the middle kept
    assert 1200 <= row.trimmed_ms <= 1700, row.trimmed_ms
    assert longest_silence_s(pcm(out)) >= 0.9


def test_a_plain_float_header_imports_right(master: Path, tmp_path: Path) -> None:
    source = plain_float_wav(master, tmp_path / "plain-float.wav")
    assert source.read_bytes()[20:22] == b"\x03\x00"  # WAVE_FORMAT_IEEE_FLOAT
    catalog = Catalog(open_database(tmp_path / "db" / "playout.db"))
    row = import_clip(
        catalog, tmp_path / "audio", source, into="", title=None, settings=SETTINGS, now=NOW
    ).clip
    out = tmp_path / "audio" / row.file
    assert correlation(pcm(source), pcm(out)) >= 0.98
    assert abs(ebur128(out) - SETTINGS.loudness) <= 0.1


class MemoryCgroup:
    """A memory cgroup (v2, or v1's memory controller) that limits a child process and all of
    its children together, as a PC's RAM does. Needs root, as the README's test command runs."""

    def __init__(self, name: str, limit: int) -> None:
        v2 = Path("/sys/fs/cgroup/cgroup.controllers")
        if v2.exists() and "memory" in v2.read_text().split():
            self.path, self.limit_file = Path("/sys/fs/cgroup") / name, "memory.max"
            self.peak_file = "memory.peak"
        else:
            self.path = Path("/sys/fs/cgroup/memory") / name
            self.limit_file, self.peak_file = "memory.limit_in_bytes", "memory.max_usage_in_bytes"
        try:
            self.path.mkdir(exist_ok=True)
            (self.path / self.limit_file).write_text(str(limit))
        except OSError as exc:
            pytest.fail(f"cannot make a memory cgroup at {self.path} ({exc}): run as root")

    def run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        # the shell joins the cgroup, then becomes the command: everything it starts is inside
        join = f'echo $$ > "{self.path}/cgroup.procs" && exec "$@"'
        return subprocess.run(
            ["sh", "-c", join, "sh", *args], capture_output=True, text=True, check=False
        )

    def peak(self) -> int:
        peak = self.path / self.peak_file
        return int(peak.read_text()) if peak.exists() else 0

    def remove(self) -> None:
        self.path.rmdir()


@pytest.mark.slow
def test_a_30_minute_clip_imports_under_a_300_mb_memory_limit(tmp_path: Path) -> None:
    """The import and its ffmpeg children, together under 300 MB (page cache included), import
    30 minutes of stereo; nothing is killed."""
    import sys

    source = tmp_path / "long.flac"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         "anoisesrc=color=pink:amplitude=0.3:sample_rate=48000:duration=1800",
         "-af", "tremolo=f=3:d=0.9", "-ac", "2", "-c:a", "flac", str(source)],
        check=True,
    )  # fmt: skip
    script = (
        "import sys\n"
        "from datetime import UTC, datetime, timedelta\n"
        "from pathlib import Path\n"
        "from playout.library.catalog import Catalog, import_clip\n"
        "from playout.schedule.model import LibrarySettings\n"
        "from playout.store import open_database\n"
        "work = Path(sys.argv[1])\n"
        "db = open_database(work / 'playout.db')\n"
        "r = import_clip(Catalog(db), work / 'audio', Path(sys.argv[2]), into='', title=None,\n"
        "                settings=LibrarySettings(max_duration=timedelta(hours=1)),\n"
        "                now=datetime.now(UTC))\n"
        "print(r.status.value, r.clip.duration_ms, r.clip.loudness_after)\n"
    )
    group = MemoryCgroup(f"playout-test-{tmp_path.name}", 300 * 1024 * 1024)
    try:
        proc = group.run([sys.executable, "-c", script, str(tmp_path), str(source)])
        peak = group.peak()
    finally:
        group.remove()
    assert proc.returncode == 0, proc.stderr[-2000:]
    status, duration_ms, loudness = proc.stdout.split()
    assert status == "imported" and abs(int(duration_ms) - 1_800_000) < 2000
    assert abs(float(loudness) - SETTINGS.loudness) <= 0.1
    assert peak <= 300 * 1024 * 1024, peak
