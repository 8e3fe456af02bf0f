"""The import runs the static ffmpeg of imageio-ffmpeg where its wheel exists (x86_64 here),
else the system's (Debian's 5.1): both decode, refuse and measure alike. ffmpeg 5 reports a
decoding error as "Error while decoding ...", later versions only with the decoder's own line,
so these are the cases that tell the builds apart."""

from __future__ import annotations

import importlib
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from playout.library import AudioError
from playout.library.catalog import Catalog, import_clip
from playout.library.meter import SILENCE_MIN_S, Sound, finish
from playout.schedule.model import LibrarySettings
from playout.store import open_database
from tests.helpers import make_audio

# the module (``playout.library.probe`` is also the name of its function)
probe_module = importlib.import_module("playout.library.probe")
NOW = datetime(2020, 8, 5, 1, 0, tzinfo=UTC)
SETTINGS = LibrarySettings()


@pytest.fixture(params=["bundled", "system"])
def build(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    system = shutil.which("ffmpeg")
    assert system is not None
    if request.param == "system":  # as on a machine without the wheel
        monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", system)
    else:
        monkeypatch.delenv("IMAGEIO_FFMPEG_EXE", raising=False)
    probe_module._bundled_ffmpeg.cache_clear()
    yield request.param
    probe_module._bundled_ffmpeg.cache_clear()


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    db = open_database(tmp_path / "db" / "playout.db")
    yield Catalog(db)
    db.close()


def do_import(catalog: Catalog, tmp_path: Path, source: Path):  # type: ignore[no-untyped-def]
    library = tmp_path / "audio"
    library.mkdir(exist_ok=True)
    return import_clip(catalog, library, source, into="x", title=None, settings=SETTINGS, now=NOW)


def test_the_ffmpeg_used_is_the_one_expected(build: str) -> None:
    used = probe_module.tool("ffmpeg")
    version = subprocess.run([used, "-version"], capture_output=True, text=True).stdout
    if build == "bundled":  # this machine (x86_64) has the wheel: it must be the one used
        assert "imageio_ffmpeg" in used
        assert not version.startswith("ffmpeg version 5.")
    else:
        assert used == shutil.which("ffmpeg")
        assert version.startswith("ffmpeg version 5.")


def test_a_truncated_mp3_is_refused(build: str, tmp_path: Path, catalog: Catalog) -> None:
    data = make_audio(tmp_path / "full.mp3", "sine=frequency=440", 5).read_bytes()
    broken = tmp_path / "truncated.mp3"
    broken.write_bytes(data[: len(data) // 3] + bytes(range(256)) * 4)
    with pytest.raises(AudioError) as info:
        do_import(catalog, tmp_path, broken)
    assert "cannot be decoded to the end" in info.value.message
    assert " @ 0x" not in info.value.message  # ffmpeg's context, meaningless to an operator
    assert catalog.all_current() == []


def test_an_amr_voice_note_with_dtx_is_named(build: str, tmp_path: Path, catalog: Catalog) -> None:
    """A phone's AMR-NB voice note with DTX (comfort noise) frames, which ffmpeg cannot decode:
    the operator is told the variant is not supported and what to do, not "damaged"."""
    sid, no_data = bytes([8 << 3 | 4]) + bytes([0x12, 0x34, 0x56, 0x78, 0x9A]), bytes([15 << 3 | 4])
    source = tmp_path / "voice note.amr"
    source.write_bytes(b"#!AMR\n" + b"".join(sid if i % 8 == 0 else no_data for i in range(200)))
    with pytest.raises(AudioError) as info:
        do_import(catalog, tmp_path, source)
    assert "amr_nb" in info.value.message and "not supported" in info.value.message
    assert "MP3" in info.value.hint
    assert catalog.all_current() == []


def test_an_amr_voice_note_imports(build: str, tmp_path: Path, catalog: Catalog) -> None:
    """A phone's AMR-NB voice note of speech frames (12.2 kbit/s, no comfort noise) decodes in
    both builds: it is imported as a WAV like any other clip."""
    frame = bytes([7 << 3 | 4]) + bytes(31)  # mode 7, quality bit set: a quiet speech frame
    source = tmp_path / "ghi âm.amr"
    source.write_bytes(b"#!AMR\n" + frame * 250)  # 250 frames of 20 ms
    row = do_import(catalog, tmp_path, source).clip
    assert row.file.endswith(".wav") and abs(row.duration_ms - 5000) <= 200, row.duration_ms
    assert abs(row.loudness_after - SETTINGS.loudness) <= SETTINGS.tolerance
    assert [c.sha256 for c in catalog.all_current()] == [row.sha256]


def test_both_builds_measure_the_same(build: str, tmp_path: Path, catalog: Catalog) -> None:
    """The same clip gets the same figures (each build against ffmpeg 5's own ebur128)."""
    source = make_audio(
        tmp_path / "noise.mp3", "anoisesrc=color=pink:amplitude=0.2:seed=7", 6, "-ac", "2"
    )
    row = do_import(catalog, tmp_path, source).clip
    log = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(source), "-af", "ebur128",
         "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    summary = log[log.rindex("Summary:") :]
    reference = float(summary.split("I:")[1].split("LUFS")[0])
    assert abs(row.loudness_before - reference) <= 0.1
    assert abs(row.loudness_after - SETTINGS.loudness) <= 0.1


RATE = 1000  # frames a second, to keep the table readable: SILENCE_MIN_S is 10 frames


@pytest.mark.parametrize(
    ("quiet_before", "quiet_after", "lead", "tail"),
    [
        (0, 0, 0, 0),
        (9, 9, 0, 0),  # shorter than SILENCE_MIN_S: kept
        (10, 10, 10, 10),
        (250, 37, 250, 37),
    ],
)
@pytest.mark.parametrize("block", [7, 64, 100_000])
def test_silence_at_the_ends(
    quiet_before: int, quiet_after: int, lead: int, tail: int, block: int
) -> None:
    assert SILENCE_MIN_S * RATE == 10
    sound = np.full((100, 2), 0.5, dtype=np.float32)
    sound[40:60] = 0.0  # silence in the middle is not an end
    sound[0, 1] = sound[-1, 0] = 0.01  # one channel loud enough is sound
    hiss = np.float32(10 ** (-60 / 20))  # under the -50 dB threshold
    x = np.concatenate(
        [np.full((quiet_before, 2), hiss), sound, np.full((quiet_after, 2), -hiss)]
    ).astype(np.float32)
    finder = Sound(-50.0)
    for start in range(0, len(x), block):
        finder.feed(x[start : start + block])
    assert finder.frames == len(x)
    assert finder.silence(RATE) == (lead / RATE, tail / RATE)


def test_an_entirely_silent_clip_is_all_lead() -> None:
    finder = Sound(-50.0)
    finder.feed(np.zeros((500, 1), dtype=np.float32))
    assert finder.silence(RATE) == (0.5, 0.0)


def test_an_ffmpeg_that_hangs_is_stopped() -> None:
    """``finish`` waits without polling, and kills what outlives its time with a message."""
    hung = subprocess.Popen(["sleep", "30"])
    with pytest.raises(AudioError, match=r"did not finish within 0.2 s"):
        finish(hung, 0.2)
    assert hung.returncode is not None  # killed and reaped
    assert finish(subprocess.Popen(["true"]), 5) == 0
