"""The audio library: import with real ffmpeg and real files, the catalog, check."""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from pydub import AudioSegment
from sqlalchemy import text

from playout.cli import cli
from playout.cli.context import AppContext
from playout.clock import FixedClock
from playout.library import AudioError
from playout.library.catalog import (
    Catalog,
    ImportStatus,
    import_clip,
    slug,
)
from playout.library.verify import verify_clips
from playout.problems import PlayoutError
from playout.schedule.model import LibrarySettings
from playout.store import open_database
from playout.store.migrations import MIGRATIONS, schema_version
from tests.helpers import StationFolder, make_audio, make_speech
from tests.second_meter import correlation, measure, pcm

NOW = datetime(2020, 8, 5, 1, 0, tzinfo=UTC)
SETTINGS = LibrarySettings()
SPEECH = "Hãy cài đặt ứng dụng Bluezone để bảo vệ mình, bảo vệ cộng đồng."


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    db = open_database(tmp_path / "db" / "playout.db")
    yield Catalog(db)  # type: ignore[misc]
    db.close()


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "audio"
    path.mkdir()
    return path


def do_import(catalog: Catalog, library: Path, source: Path, into: str = "spots"):  # type: ignore[no-untyped-def]
    return import_clip(catalog, library, source, into=into, title=None, settings=SETTINGS, now=NOW)


@pytest.mark.parametrize(
    "kind",
    ["quiet sine", "loud noise", "speech", "stereo mp3"],
)
def test_import_normalises_loudness(
    kind: str, tmp_path: Path, catalog: Catalog, library: Path
) -> None:
    src = tmp_path / "src"
    if kind == "quiet sine":
        source = make_audio(
            src / "sine.wav", "sine=frequency=440:sample_rate=48000", 4, "-af", "volume=-20dB"
        )
    elif kind == "loud noise":
        source = make_audio(src / "noise.wav", "anoisesrc=color=pink:amplitude=0.9", 4)
    elif kind == "speech":
        source = make_speech(src / "speech.wav", SPEECH)
    else:
        source = make_audio(src / "stereo.mp3", "sine=frequency=300", 5, "-ac", "2")
    result = do_import(catalog, library, source)
    assert result.status is ImportStatus.IMPORTED
    row = result.clip
    out = library / row.file
    loudness, peak = measure(out)
    assert abs(loudness - SETTINGS.loudness) <= 0.5, loudness
    assert peak <= SETTINGS.true_peak + 0.05, peak
    assert abs(row.loudness_after - loudness) <= 0.1  # ffmpeg's meter vs pyloudnorm
    seg = AudioSegment.from_file(out)
    assert (seg.frame_rate, seg.sample_width) == (44100, 2)
    assert seg.channels == (2 if kind == "stereo mp3" else 1)
    assert abs(len(seg) - row.duration_ms) <= 1
    assert len(row.sha256) == 64
    assert source.exists(), "the original is never modified or moved"


def test_silence_is_trimmed(tmp_path: Path, catalog: Catalog, library: Path) -> None:
    tone = make_audio(tmp_path / "tone.wav", "sine=frequency=440:sample_rate=44100", 3)
    padded = tmp_path / "padded.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-i",
            str(tone),
            "-af",
            "adelay=2000,apad=pad_dur=1.5",
            str(padded),
        ],
        check=True,
    )
    row = do_import(catalog, library, padded).clip
    assert abs(row.duration_ms - 3000) <= 30
    assert abs(row.trimmed_ms - 3500) <= 30


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("empty.wav", lambda p: p.write_bytes(b""), "the file is empty"),
        ("text.mp3", lambda p: p.write_text("not audio\n" * 50), "is a text file, not a recording"),
        (
            "header-only.wav",
            lambda p: p.write_bytes(
                b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00"
                b"\x44\xac\x00\x00\x88\x58\x01\x00\x02\x00\x10\x00data\x00\x00\x00\x00"
            ),
            "",
        ),
        (
            "short.wav",
            lambda p: make_audio(p, "sine=frequency=440", 0.2),
            "the clip is too short (0.2 s; at least 1s)",
        ),
        (
            "silent.wav",
            lambda p: make_audio(p, "anullsrc=r=44100:cl=mono", 3),
            "the clip is entirely silent",
        ),
    ],
)
def test_broken_inputs_are_rejected_and_nothing_is_written(
    tmp_path: Path, catalog: Catalog, library: Path, name: str, make: object, reason: str
) -> None:
    source = tmp_path / name
    make(source)  # type: ignore[operator]
    with pytest.raises(AudioError) as info:
        do_import(catalog, library, source)
    assert reason in info.value.message
    assert catalog.all_current() == []
    assert not any(p.is_file() for p in library.rglob("*"))


def test_too_long_clip_is_rejected(tmp_path: Path, catalog: Catalog, library: Path) -> None:
    source = make_audio(tmp_path / "long.wav", "sine=frequency=440", 4)
    settings = LibrarySettings.model_validate({"max_duration": "3s"})
    with pytest.raises(AudioError, match=r"too long \(4.0 s; at most 3s\)"):
        import_clip(catalog, library, source, into="", title=None, settings=settings, now=NOW)


def test_duplicate_import_is_detected(tmp_path: Path, catalog: Catalog, library: Path) -> None:
    source = make_audio(tmp_path / "a.wav", "sine=frequency=440", 2)
    first = do_import(catalog, library, source)
    copy = tmp_path / "other name.wav"
    copy.write_bytes(source.read_bytes())
    second = do_import(catalog, library, copy, into="elsewhere")
    assert second.status is ImportStatus.DUPLICATE
    assert second.clip.sha256 == first.clip.sha256
    assert len(catalog.all_current()) == 1
    assert not (library / "elsewhere").exists() or not any((library / "elsewhere").iterdir())


def test_vietnamese_file_names(tmp_path: Path, catalog: Catalog, library: Path) -> None:
    source = make_speech(tmp_path / "Lời kêu gọi Bluezone - Đài Tân An.wav", SPEECH)
    row = do_import(catalog, library, source, into="bluezone").clip
    assert row.file == "bluezone/loi-keu-goi-bluezone-dai-tan-an.wav"
    assert row.title == "Lời kêu gọi Bluezone - Đài Tân An"
    assert row.source_name == source.name
    assert (library / row.file).exists()
    assert slug("Thông điệp 5K") == "thong-diep-5k"


def test_check_finds_an_altered_clip(tmp_path: Path, catalog: Catalog, library: Path) -> None:
    source = make_audio(tmp_path / "a.wav", "sine=frequency=440", 2)
    row = do_import(catalog, library, source).clip
    assert verify_clips(library, [row.file], catalog, SETTINGS) == []
    path = library / row.file
    data = bytearray(path.read_bytes())
    data[-100:] = bytes(100)  # a few samples zeroed: still decodes
    path.write_bytes(bytes(data))
    (issue,) = verify_clips(library, [row.file], catalog, SETTINGS)
    assert "the file changed since it was imported" in issue.message


def test_check_reports_missing_and_uncatalogued(
    tmp_path: Path, catalog: Catalog, library: Path
) -> None:
    make_audio(library / "loose.wav", "sine=frequency=440", 2)
    issues = verify_clips(library, ["loose.wav", "gone.wav"], catalog, SETTINGS)
    assert [(i.file, i.uncatalogued) for i in issues] == [("loose.wav", True), ("gone.wav", False)]
    assert "does not exist" in issues[1].message


def test_database_is_wal_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    db = open_database(path)
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(schema_version.select()).scalar() == len(MIGRATIONS)
    db.close()
    # opening again applies nothing and keeps the data
    db = open_database(path)
    db.close()


def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    db = open_database(path)
    with db.engine.begin() as conn:
        conn.execute(schema_version.update().values(version=len(MIGRATIONS) + 5))
    db.close()
    with pytest.raises(PlayoutError, match="newer than this playout"):
        open_database(path)


# --------------------------------------------------------------------------- command line


def invoke(root: Path, *args: str) -> tuple[int, str]:
    obj = AppContext(root=root, clock=FixedClock(NOW))
    result = CliRunner().invoke(
        cli, ["--dir", str(root), "--db", str(root / "t.db"), *args], obj=obj
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_library_commands(station: StationFolder, tmp_path: Path) -> None:
    station.schedule(
        """
sessions:
  morning: {start: "05:30", end: "06:30"}
campaigns:
  - id: spots
    playlist: spots
    from: 05/08/2020
    per_day: 2
"""
    )
    a = make_speech(tmp_path / "in" / "Thông điệp 5K.wav", SPEECH)
    b = make_audio(tmp_path / "in" / "tone.mp3", "sine=frequency=440", 2)
    bad = tmp_path / "in" / "broken.mp3"
    bad.write_text("no audio here")
    code, out = invoke(
        station.root, "library", "import", str(a), str(b), str(bad), "--into", "spots"
    )
    assert code == 1
    assert "imported" in out and "-> audio/spots/thong-diep-5k.wav" in out
    assert "rejected" in out and "broken.mp3 is a text file, not a recording" in out
    assert "1 of 3 file(s) rejected" in out
    station.playlist(
        "spots", "clips:\n  - file: spots/thong-diep-5k.wav\n  - file: spots/tone.wav\n"
    )
    code, out = invoke(station.root, "library", "check")
    assert (code, out.strip()) == (0, "OK: 2 clip(s) verified against the catalog")
    code, out = invoke(station.root, "library", "list", "--json")
    listed = json.loads(out)
    assert [c["file"] for c in listed] == ["spots/thong-diep-5k.wav", "spots/tone.wav"]
    assert listed[0]["campaigns"] == ["spots"]
    assert listed[0]["title"] == "Thông điệp 5K"
    assert all(abs(c["loudness"] + 16) <= 0.5 for c in listed)
    # validate compares with the catalog too
    code, out = invoke(station.root, "validate")
    assert code == 0, out
    with (station.root / "audio/spots/tone.wav").open("r+b") as fh:
        fh.seek(-10, 2)
        fh.write(bytes(10))
    code, out = invoke(station.root, "library", "check")
    assert code == 1
    assert "audio/spots/tone.wav: the file changed since it was imported" in out
    code, out = invoke(station.root, "validate")
    assert code == 1
    assert 'playlists/spots.yaml:3:11: error: clip "spots/tone.wav": the file changed' in out


def test_loudness_meter_matches_ffmpeg_ebur128(tmp_path: Path) -> None:
    """Our meter and ffmpeg's own agree on a real speech clip (two independent BS.1770s)."""
    source = make_speech(tmp_path / "s.wav", SPEECH)
    proc = subprocess.run(
        ["ffmpeg", "-nostdin", "-i", str(source), "-af", "ebur128", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = proc.stderr[proc.stderr.rindex("Summary:") :]
    ffmpeg_i = float(summary.split("I:")[1].split("LUFS")[0])
    ours, _ = measure(source)
    assert abs(ours - ffmpeg_i) < 0.3
    assert np.isfinite(ours)


@pytest.mark.parametrize("codec", ["pcm_f32le", "pcm_s24le", "pcm_s32le"])
def test_wide_wav_formats_are_decoded_right(
    codec: str, tmp_path: Path, catalog: Catalog, library: Path
) -> None:
    """ffmpeg writes these with a WAVE_FORMAT_EXTENSIBLE header; the copy must sound like the
    source (a float file read as integers once aired heavily distorted)."""
    speech = make_speech(tmp_path / "speech.wav", SPEECH)
    source = tmp_path / f"{codec}.wav"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(speech), "-af", "volume=-6dB",
         "-c:a", codec, str(source)],
        check=True,
    )  # fmt: skip
    assert source.read_bytes()[20:22] == b"\xfe\xff"  # WAVE_FORMAT_EXTENSIBLE
    row = do_import(catalog, library, source).clip
    out = library / row.file
    assert correlation(pcm(source), pcm(out)) > 0.95
    loudness, peak = measure(out)
    assert abs(loudness - SETTINGS.loudness) <= 0.5 and peak <= SETTINGS.true_peak + 0.05


def test_the_copy_is_compared_with_its_source(tmp_path: Path) -> None:
    """The import's last check correlates the copy with its source: the same audio at another
    level is ~1, other audio (as a wrongly decoded file would be) far below the 0.9 refusal."""
    from playout.library.ingest import MIN_SIMILARITY
    from playout.library.meter import Correlation

    a = pcm(make_speech(tmp_path / "a.wav", SPEECH))
    b = pcm(make_audio(tmp_path / "b.wav", "anoisesrc=color=white:amplitude=0.5", 4))
    same, other = Correlation(), Correlation()
    n = min(len(a), len(b))
    a, b = a[:n], b[:n]
    for start in range(0, n, 4096):
        same.feed(a[start : start + 4096], 0.3 * a[start : start + 4096])
        other.feed(a[start : start + 4096], b[start : start + 4096])
    assert same.value > 0.999
    assert other.value < 0.2 < MIN_SIMILARITY


def test_surround_is_mixed_down_and_a_batch_goes_on(station: StationFolder, tmp_path: Path) -> None:
    six = make_audio(
        tmp_path / "in" / "surround.wav", "sine=frequency=500:sample_rate=48000", 3,
        "-af", "pan=5.1|FL=c0|FR=c0|FC=c0|LFE=c0|BL=c0|BR=c0", "-c:a", "pcm_s16le",
    )  # fmt: skip
    bad = tmp_path / "in" / "broken.wav"
    bad.write_bytes(b"RIFF" + bytes(100))
    after = make_audio(tmp_path / "in" / "after.mp3", "sine=frequency=440", 2)
    code, out = invoke(
        station.root, "library", "import", str(bad), str(six), str(after), "--into", "spots"
    )
    assert code == 1, out
    assert "1 of 3 file(s) rejected" in out
    assert "-> audio/spots/surround.wav" in out and "-> audio/spots/after.wav" in out
    assert AudioSegment.from_file(station.root / "audio/spots/surround.wav").channels == 2


def test_importing_a_library_file_again_is_a_duplicate(
    station: StationFolder, tmp_path: Path
) -> None:
    """The sample's main job imports audio/*/*.wav: files already imported from elsewhere."""
    source = make_speech(tmp_path / "in" / "Loi keu goi.wav", SPEECH)
    code, out = invoke(station.root, "library", "import", str(source), "--into", "spots")
    assert code == 0, out
    copy = station.root / "audio" / "spots" / "loi-keu-goi.wav"
    code, out = invoke(station.root, "library", "import", str(copy))
    assert code == 0, out
    assert "duplicate" in out


def test_titles_are_nfc_and_copies_follow_the_umask(
    tmp_path: Path, catalog: Catalog, library: Path
) -> None:
    import os
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Thông điệp 5K")
    source = make_audio(tmp_path / f"{nfd}.wav", "sine=frequency=440", 2)
    old = os.umask(0o022)
    try:
        row = do_import(catalog, library, source).clip
    finally:
        os.umask(old)
    assert row.title == "Thông điệp 5K" == unicodedata.normalize("NFC", row.title)
    assert (library / row.file).stat().st_mode & 0o777 == 0o644


def test_overs_are_measured_as_the_file_holds_them(
    tmp_path: Path, catalog: Catalog, library: Path
) -> None:
    """A float file with samples above full scale: the "before" figures are what it holds."""
    source = make_audio(
        tmp_path / "hot.wav", "sine=frequency=1000:sample_rate=44100", 3,
        "-af", "volume=24dB", "-c:a", "pcm_f32le",
    )  # fmt: skip
    row = do_import(catalog, library, source).clip
    assert row.peak_before > 5.5  # lavfi's sine is at 1/8: +24 dB makes peaks of 2.0 (+6 dBFS)
    assert row.peak_after <= SETTINGS.true_peak + 0.05


def tone(
    parts: list[tuple[float, list[float]]],
    freq: float = 1000,
    phase_deg: float = 0.0,
    rate: int = 48000,
    ramp_s: float = 0.0,
) -> np.ndarray:
    """Sine parts (seconds, per-channel level in dBFS of the sine's crest), phase-continuous,
    with optional raised-cosine ramps at both ends."""
    chunks, done = [], 0
    for seconds, levels in parts:
        n = round(seconds * rate)
        t = (done + np.arange(n)) / rate
        wave = np.sin(2 * np.pi * freq * t + np.radians(phase_deg))
        chunks.append(np.stack([wave * 10 ** (db / 20) for db in levels], axis=1))
        done += n
    data = np.concatenate(chunks)
    if ramp_s:
        ramp = np.sin(np.linspace(0, np.pi / 2, round(rate * ramp_s)))[:, None] ** 2
        data[: len(ramp)] *= ramp
        data[-len(ramp) :] *= ramp[::-1]
    return data.astype(np.float32)


def wav_24(path: Path, data: np.ndarray, rate: int = 48000) -> Path:
    channels = data.shape[1]
    layout = {1: "mono", 2: "stereo", 5: "5.0(side)"}[channels]
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "f32le", "-ar", str(rate),
         "-ac", str(channels), "-channel_layout", layout, "-i", "-", "-c:a", "pcm_s24le",
         str(path)],
        input=data.tobytes(), check=True,
    )  # fmt: skip
    return path


def tone_file(path: Path, parts: list[tuple[float, list[float]]], freq: float = 1000) -> Path:
    """Sine parts (seconds, per-channel level in dBFS), written as 24-bit WAV at 48 kHz."""
    return wav_24(path, tone(parts, freq))


def _steps(*levels: float, seconds: float = 20) -> list[tuple[float, list[float]]]:
    return [(seconds, [db, db]) for db in levels]


_HALF = 20 * math.log10(0.5)  # a crest of 0.5: -6.02 dBFS


@dataclass(frozen=True)
class Conformance:
    """A test signal of EBU Tech 3341 / 3342 defined by simple parameters, with the published
    expected values (None: the case does not define that figure)."""

    parts: list[tuple[float, list[float]]]
    freq: float = 1000
    phase_deg: float = 0.0
    loudness: float | None = None  # LUFS integrated
    peak: float | None = None  # dBTP
    lra: float | None = None  # LU


# Tech 3341 cases 1-6, 9 and 12 (loudness) and 15-19 (true peak: sines at fs/4, fs/6 and fs/8
# whose samples miss the crest; 10 ms ramps at the ends, since an abrupt start rings in any
# interpolator); Tech 3342 cases 1-4 (loudness range). The integrated loudness of the 3342
# signals follows from BS.1770's gating: e.g. case 4 keeps the -35 and -20 dBFS parts
# (10*log10((2*10^-3.5 + 10^-2)/3) = -24.5); the 9 and 12 bursts average to -23.
CONFORMANCE = {
    "3341-1": Conformance(_steps(-23), loudness=-23.0),
    "3341-2": Conformance(_steps(-33), loudness=-33.0),
    "3341-3": Conformance([(10, [-36, -36]), (60, [-23, -23]), (10, [-36, -36])], loudness=-23.0),
    "3341-4": Conformance(
        [(10, [-72] * 2), (10, [-36] * 2), (60, [-23] * 2), (10, [-36] * 2), (10, [-72] * 2)],
        loudness=-23.0,
    ),
    "3341-5": Conformance([(20, [-26, -26]), (20.1, [-20, -20]), (20, [-26, -26])], loudness=-23.0),
    "3341-6": Conformance([(20, [-28, -28, -24, -30, -30])], loudness=-23.0),
    "3341-9": Conformance([(1.34, [-20, -20]), (1.66, [-30, -30])] * 5, loudness=-23.0),
    "3341-12": Conformance([(0.18, [-20, -20]), (0.22, [-30, -30])] * 25, loudness=-23.0),
    "3341-15": Conformance([(4, [_HALF, _HALF])], freq=12000, peak=-6.0),
    "3341-16": Conformance([(4, [_HALF, _HALF])], freq=12000, phase_deg=45, peak=-6.0),
    "3341-17": Conformance([(4, [_HALF, _HALF])], freq=8000, phase_deg=60, peak=-6.0),
    "3341-18": Conformance([(4, [_HALF, _HALF])], freq=6000, phase_deg=67.5, peak=-6.0),
    "3341-19": Conformance([(4, [20 * math.log10(1.41)] * 2)], freq=12000, phase_deg=45, peak=3.0),
    "3342-1": Conformance(_steps(-20, -30), loudness=-22.6, lra=10),
    "3342-2": Conformance(_steps(-20, -15), loudness=-16.8, lra=5),
    "3342-3": Conformance(_steps(-40, -20), loudness=-20.0, lra=20),
    "3342-4": Conformance(_steps(-50, -35, -20, -35, -50), loudness=-24.5, lra=15),
}


@pytest.mark.parametrize("case", list(CONFORMANCE))
def test_ebu_conformance_signals(
    case: str, tmp_path: Path, catalog: Catalog, library: Path
) -> None:
    """The catalog's "before" figures match the published values and every import lands on
    the target (checked again with the second meter on the written copy)."""
    c = CONFORMANCE[case]
    data = tone(c.parts, c.freq, c.phase_deg, ramp_s=0.01 if c.peak is not None else 0.0)
    source = wav_24(tmp_path / "case.wav", data)
    settings = LibrarySettings.model_validate({"silence_threshold": -80})
    row = import_clip(
        catalog, library, source, into="", title=None, settings=settings, now=NOW
    ).clip
    if c.loudness is not None:
        assert abs(row.loudness_before - c.loudness) <= 0.1, row.loudness_before
    if c.peak is not None:
        assert abs(row.peak_before - c.peak) <= 0.2, row.peak_before
    if c.lra is not None:
        from playout.library.meter import scan

        found = scan(source)
        assert abs(found.loudness_range - c.lra) <= 0.2, found.loudness_range
    assert abs(row.loudness_after - settings.loudness) <= 0.1
    assert row.peak_after <= settings.true_peak
    loudness, peak = measure(library / row.file)  # the second meter
    assert abs(loudness - settings.loudness) <= 0.3 and peak <= settings.true_peak + 0.05


def test_a_steady_long_signal_has_no_block_edge_peaks(
    tmp_path: Path, catalog: Catalog, library: Path
) -> None:
    """EBU Tech 3341 case 1 for 60 s: the true peak of a -23 dBFS sine is -23 dBTP, not more."""
    source = tone_file(tmp_path / "long.wav", [(60, [-23, -23])])
    row = do_import(catalog, library, source).clip
    assert abs(row.peak_before - (-23.0)) <= 0.2, row.peak_before


def test_a_killed_import_leaves_nothing_behind(
    tmp_path: Path, catalog: Catalog, library: Path
) -> None:
    """An import killed with SIGKILL leaves its partial files in the work folder beside the
    library, never in it; the next import (or the daemon's start) removes them, and the catalog
    never saw them."""
    import os
    import signal
    import sys
    import time

    from playout.library.catalog import sweep_imports, work_folder

    source = make_audio(tmp_path / "long.mp3", "anoisesrc=color=pink:amplitude=0.3", 600)
    script = (
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from pathlib import Path\n"
        "from playout.library.catalog import Catalog, import_clip\n"
        "from playout.schedule.model import LibrarySettings\n"
        "from playout.store import open_database\n"
        "db = open_database(Path(sys.argv[1]))\n"
        "import_clip(Catalog(db), Path(sys.argv[2]), Path(sys.argv[3]), into='spots',\n"
        "            title=None, settings=LibrarySettings(), now=datetime.now(UTC))\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(catalog.db.path), str(library), str(source)],
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    work = work_folder(library)
    while not list(work.glob(".import-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # in the middle of writing the copy
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(work.glob(".import-*")), "the kill came too late to test"
    assert not [p for p in library.rglob("*") if p.name.startswith(".import-")], "library clean"
    assert catalog.all_current() == []
    assert sweep_imports(library) >= 1  # the daemon's start, or the next import
    assert list(work.glob(".import-*")) == []
    (library / "spots" / ".import-99999999-x.wav").write_bytes(b"left by an older playout")
    do_import(catalog, library, make_audio(tmp_path / "short.wav", "sine=frequency=440", 2))
    assert not [p for p in library.rglob("*") if p.name.startswith(".import-")]


@pytest.mark.parametrize(
    ("name", "head", "kind"),
    [
        ("bao-cao.docx", b"PK\x03\x04\x14\x00\x06\x00", "a Word document"),
        ("ds.xlsx", b"PK\x03\x04\x14\x00\x06\x00", "an Excel workbook"),
        ("cong-van.pdf", b"%PDF-1.7\n%\xe2\xe3", "a PDF document"),
        ("anh.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF", "an image"),
        ("ghi-am.rar", b"Rar!\x1a\x07\x01\x00", "a RAR archive"),
    ],
)
def test_a_document_is_called_what_it_is_not_a_damaged_copy(
    tmp_path: Path, name: str, head: bytes, kind: str
) -> None:
    from playout.library.probe import probe

    path = tmp_path / name
    path.write_bytes(head + bytes(range(256)) * 8)
    with pytest.raises(AudioError) as info:
        probe(path)
    assert info.value.message == f"{name} is {kind}, not a recording"
    assert "import the recording itself" in (info.value.hint or "")
