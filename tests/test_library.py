"""The audio library: import with real ffmpeg and real files, the catalog, check."""

from __future__ import annotations

import json
import subprocess
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
    verify_clips,
)
from playout.library.ingest import samples_of
from playout.library.loudness import integrated_loudness, true_peak
from playout.problems import PlayoutError
from playout.schedule.model import LibrarySettings
from playout.store import open_database
from playout.store.migrations import MIGRATIONS, schema_version
from tests.helpers import StationFolder, make_audio, make_speech

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


def measure(path: Path) -> tuple[float, float]:
    seg = AudioSegment.from_file(path)
    samples = samples_of(seg)
    return integrated_loudness(samples, seg.frame_rate), true_peak(samples)


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
    assert abs(row.loudness_after - loudness) < 0.05
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
        ("text.mp3", lambda p: p.write_text("not audio\n" * 50), "not a readable audio file"),
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


def test_truncated_mp3_is_rejected(tmp_path: Path, catalog: Catalog, library: Path) -> None:
    mp3 = make_audio(tmp_path / "full.mp3", "sine=frequency=440", 5)
    data = mp3.read_bytes()
    broken = tmp_path / "truncated.mp3"
    broken.write_bytes(data[: len(data) // 3] + bytes(range(256)) * 4)
    with pytest.raises(AudioError) as info:
        do_import(catalog, library, broken)
    assert "cannot be decoded to the end" in info.value.message
    assert catalog.all_current() == []


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
    assert "rejected" in out and "broken.mp3: not a readable audio file" in out
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
