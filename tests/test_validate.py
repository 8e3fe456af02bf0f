"""One test per class of bad input: the message, the file and the line number."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from playout.problems import Problem
from playout.schedule.yamlsrc import MAX_BYTES
from playout.station_folder import LoadedStation, load_station
from tests.helpers import StationFolder, make_tone, write

GOOD_SESSIONS = """
sessions:
  morning: {start: "05:30", end: "06:30"}
  afternoon: {start: "16:30", end: "17:30"}
"""

GOOD_CAMPAIGN = """
campaigns:
  - id: bluezone
    playlist: bluezone
    from: 05/08/2020
    until: 31/08/2020
    per_day: 2
"""


def only(loaded: LoadedStation, needle: str) -> Problem:
    found = [p for p in loaded.problems if needle in p.message]
    assert len(found) == 1, [p.format() for p in loaded.problems]
    return found[0]


@pytest.fixture
def valid(station: StationFolder) -> StationFolder:
    station.schedule(GOOD_SESSIONS + GOOD_CAMPAIGN)
    station.simple_playlist("bluezone", "bluezone/a.wav")
    return station


def test_valid_station_has_no_problems(valid: StationFolder) -> None:
    loaded = load_station(valid.root)
    assert loaded.problems == []
    assert loaded.ok
    assert loaded.durations == {"bluezone/a.wav": 3000}


def test_malformed_yaml(station: StationFolder) -> None:
    station.schedule('sessions:\n  morning: {start: "05:30", end: "06:30"\n')
    p = only(load_station(station.root), "cannot be read")
    assert p.location.file == "schedules/station.yaml"
    assert p.location.line == 7  # found at the end of the file...
    assert "the { } that starts on line 6" in p.message  # ...and where it began
    assert "ends with '}'" in p.message


def test_not_utf8(station: StationFolder) -> None:
    path = station.schedule("sessions:\n  morning: {start: '05:30', end: '06:30'}\n")
    path.write_bytes(path.read_bytes() + "# Tân An\n".encode("cp1258"))
    p = only(load_station(station.root), "not UTF-8")
    assert p.location.line == 7
    assert "UTF-8" in p.hint


def test_unknown_key_suggests_the_right_one(valid: StationFolder) -> None:
    valid.schedule(
        GOOD_SESSIONS
        + """
campaigns:
  - id: bluezone
    playlist: bluezone
    from: 05/08/2020
    per_day: 2
    sesions: [morning]
"""
    )
    p = only(load_station(valid.root), 'unknown key "sesions"')
    assert (p.location.line, p.location.column) == (14, 5)
    assert p.hint == 'did you mean "sessions"?'


def test_unknown_top_level_key(valid: StationFolder) -> None:
    valid.schedule(GOOD_SESSIONS + GOOD_CAMPAIGN + "blackout:\n  - {start: '06:00'}\n")
    p = only(load_station(valid.root), 'unknown key "blackout"')
    assert p.hint == 'did you mean "blackouts"?'
    assert p.location.line == 15


def test_every_error_is_reported_not_just_the_first(valid: StationFolder) -> None:
    valid.schedule(
        """
sessions:
  morning: {start: "25:00", end: "06:30"}
  noon: {start: "11:00", end: "11:30", days: [mon, tuesday, xyz]}
campaigns:
  - id: bluezone
    playlist: bluezone
    from: 31/02/2020
    per_day: many
    priority: urgent
"""
    )
    loaded = load_station(valid.root)
    messages = [p.message for p in loaded.errors]
    assert len(messages) == 5, messages
    assert only(loaded, '"25:00" is not a time of day').location.line == 6
    assert only(loaded, '"xyz" is not a day of the week').location.line == 7
    assert only(loaded, "02/2020 has 29 days").location.line == 11
    assert only(loaded, 'expected a whole number, got "many"').location.line == 12
    urgent = only(loaded, '"urgent" is not one of')
    assert urgent.location.line == 13


def test_wrong_types(valid: StationFolder) -> None:
    valid.schedule(
        """
sessions: [morning, noon]
campaigns:
  - id: bluezone
    playlist: bluezone
    from: 05/08/2020
    per_day: 2
    sessions: morning
"""
    )
    loaded = load_station(valid.root)
    assert only(loaded, "sessions: expected keys and values").location.line == 5
    assert only(loaded, "campaigns #1.sessions: expected a list").location.line == 11


def test_end_before_start(valid: StationFolder) -> None:
    valid.schedule('sessions:\n  noon: {start: "11:30", end: "11:00"}\n' + GOOD_CAMPAIGN)
    p = only(load_station(valid.root), 'session "noon" ends (11:00) before it starts (11:30)')
    assert p.location.line == 6


def test_overlapping_sessions(valid: StationFolder) -> None:
    valid.schedule(
        """
sessions:
  morning: {start: "05:30", end: "06:30"}
  early: {start: "06:00", end: "07:00", days: [sat, sun]}
"""
        + GOOD_CAMPAIGN
    )
    p = only(load_station(valid.root), "overlap on sat, sun")
    assert '"early"' in p.message and '"morning"' in p.message
    assert p.location.line == 7


def test_sessions_on_different_days_do_not_overlap(valid: StationFolder) -> None:
    valid.schedule(
        """
sessions:
  weekday: {start: "05:30", end: "06:30", days: [mon, tue, wed, thu, fri]}
  weekend: {start: "06:00", end: "07:00", days: [sat, sun]}
"""
        + GOOD_CAMPAIGN
    )
    assert load_station(valid.root).ok


def test_nonexistent_date(valid: StationFolder) -> None:
    valid.schedule(GOOD_SESSIONS + GOOD_CAMPAIGN.replace("31/08/2020", "31/09/2020"))
    p = only(load_station(valid.root), '"31/09/2020" is not a date: 09/2020 has 30 days')
    assert p.location.line == 13


def test_unknown_session_and_playlist(valid: StationFolder) -> None:
    valid.schedule(
        GOOD_SESSIONS
        + """
campaigns:
  - id: bluezone
    playlist: bluzone
    from: 05/08/2020
    per_day: 2
    sessions: [morning, afternon]
"""
    )
    loaded = load_station(valid.root)
    playlist = only(loaded, 'the playlist "bluzone", which does not exist')
    assert playlist.location.line == 11
    assert playlist.hint == 'did you mean "bluezone"?'
    session = only(loaded, 'the session "afternon", which does not exist')
    assert session.location.line == 14
    assert session.hint == 'did you mean "afternoon"?'


def test_duplicate_ids_across_files(valid: StationFolder) -> None:
    valid.schedule(GOOD_CAMPAIGN, name="more.yaml", station=False)
    p = only(load_station(valid.root), 'the campaign id "bluezone" is used twice')
    assert p.location.file == "schedules/station.yaml"
    assert "schedules/more.yaml:2" in p.hint


def test_duplicate_key_in_a_mapping(valid: StationFolder) -> None:
    valid.schedule(GOOD_SESSIONS + GOOD_CAMPAIGN + "    per_day: 3\n")
    p = only(load_station(valid.root), 'the key "per_day" appears twice')
    assert p.location.line == 15
    assert "line 14" in p.hint


def test_missing_audio_file(valid: StationFolder) -> None:
    valid.playlist("bluezone", "clips:\n  - file: bluezone/a.wav\n  - file: bluezone/missing.wav\n")
    p = only(load_station(valid.root), 'clip "bluezone/missing.wav": the clip')
    assert p.location == p.location.__class__("playlists/bluezone.yaml", 3, 11)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty (0 bytes)"),
        (b"this is a text file, not audio\n" * 10, "is a text file, not a recording"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not a readable audio file"),
    ],
)
def test_undecodable_audio(valid: StationFolder, content: bytes, reason: str) -> None:
    (valid.root / "audio/bluezone/a.wav").write_bytes(content)
    p = only(load_station(valid.root), 'clip "bluezone/a.wav"')
    assert reason in p.message
    assert p.location.line == 2


def test_truncated_audio_is_caught(valid: StationFolder) -> None:
    # a real MP3, cut in the middle of a frame and followed by garbage
    mp3 = make_tone(valid.root / "audio/bluezone/long.mp3", 3.0)
    data = mp3.read_bytes()
    mp3.write_bytes(data[: len(data) // 2 + 7] + b"\xff\xfb\x00" + os.urandom(64))
    valid.playlist("bluezone", "clips:\n  - file: bluezone/long.mp3\n")
    loaded = load_station(valid.root)
    assert loaded.errors, "a damaged MP3 must not pass"
    assert 'clip "bluezone/long.mp3"' in loaded.errors[0].message


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("../outside.wav", 'leads outside the audio library ("..")'),
        ("bluezone/../../outside.wav", 'leads outside the audio library ("..")'),
        ("/etc/passwd", "is an absolute path"),
        ("C:\\\\audio\\\\a.wav", "is an absolute path"),
    ],
)
def test_clip_paths_outside_the_library(valid: StationFolder, ref: str, reason: str) -> None:
    valid.playlist("bluezone", f'clips:\n  - file: "{ref}"\n')
    p = only(load_station(valid.root), reason)
    assert p.location.line == 2


def test_symlink_leading_out_of_the_library(valid: StationFolder, tmp_path: Path) -> None:
    outside = valid.clip("../../outside.wav")
    (valid.root / "audio/bluezone/link.wav").symlink_to(outside)
    valid.playlist("bluezone", "clips:\n  - file: bluezone/link.wav\n")
    p = only(load_station(valid.root), "is a link that leads outside the audio library")
    assert p.location.line == 2


def test_symlink_inside_the_library_is_fine(valid: StationFolder) -> None:
    (valid.root / "audio/bluezone/link.wav").symlink_to(valid.root / "audio/bluezone/a.wav")
    valid.playlist("bluezone", "clips:\n  - file: bluezone/link.wav\n")
    assert load_station(valid.root).ok


def test_alias_bomb_is_refused_fast(valid: StationFolder) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 9)}]")
    write(valid.root, "schedules/bomb.yaml", "\n".join(lines) + "\n")
    started = time.perf_counter()
    p = only(load_station(valid.root), "expands to more than")
    assert time.perf_counter() - started < 5
    assert p.location.file == "schedules/bomb.yaml"


def test_oversized_file_is_refused_without_reading_it(valid: StationFolder) -> None:
    path = valid.root / "schedules/huge.yaml"
    with path.open("wb") as fh:
        fh.truncate(MAX_BYTES * 50)  # sparse: 50 MiB of nothing
    p = only(load_station(valid.root), "the file is too large")
    assert p.location.file == "schedules/huge.yaml"


def test_deep_nesting_is_refused(valid: StationFolder) -> None:
    write(valid.root, "schedules/deep.yaml", "x: " + "[" * 5000 + "]" * 5000 + "\n")
    loaded = load_station(valid.root)
    assert any("nested" in p.message for p in loaded.errors), loaded.problems


def test_python_tags_are_refused(valid: StationFolder) -> None:
    write(valid.root, "schedules/evil.yaml", "station: !!python/object/apply:os.system ['id']\n")
    p = only(load_station(valid.root), "is not allowed")
    assert p.location.line == 1


def test_times_are_not_yaml_base_60_numbers(valid: StationFolder) -> None:
    # unquoted 05:30 is the number 330 in YAML 1.1; schedules must read it as a time
    valid.schedule("sessions:\n  morning: {start: 05:30, end: 06:30}\n" + GOOD_CAMPAIGN)
    loaded = load_station(valid.root)
    assert loaded.ok, [p.format() for p in loaded.problems]
    assert loaded.schedule is not None
    assert str(loaded.schedule.sessions["morning"].start) == "05:30:00"


def test_missing_station(valid: StationFolder) -> None:
    valid.schedule(GOOD_SESSIONS + GOOD_CAMPAIGN, station=False)
    p = only(load_station(valid.root), "no station is defined")
    assert p.location.line == 1


def test_unknown_time_zone(valid: StationFolder) -> None:
    text = (valid.root / "schedules/station.yaml").read_text()
    (valid.root / "schedules/station.yaml").write_text(
        text.replace("Asia/Ho_Chi_Minh", "Asia/Ho_Chi_Min")
    )
    p = only(load_station(valid.root), "is not a known time zone")
    assert 'did you mean "Asia/Ho_Chi_Minh"' in p.message
    assert p.location.line == 4


def test_campaign_needs_one_frequency(valid: StationFolder) -> None:
    valid.schedule(GOOD_SESSIONS + GOOD_CAMPAIGN + '    at: ["05:45"]\n')
    p = only(load_station(valid.root), "needs exactly one of per_day, frequency, ramp or at")
    assert "(it has per_day, at)" in p.message


def test_capacity_warning_does_not_fail(valid: StationFolder) -> None:
    valid.schedule(
        """
sessions:
  morning: {start: "05:30", end: "05:40"}
campaigns:
  - id: bluezone
    playlist: bluezone
    from: 05/08/2020
    until: 31/08/2020
    min_gap: 4m
    frequency:
      - {from: 05/08/2020, per_day: 2}
      - {from: 15/08/2020, per_day: 5}
"""
    )
    loaded = load_station(valid.root)
    assert loaded.ok
    (p,) = loaded.warnings
    assert p.message.startswith(
        "15/08/2020-31/08/2020: 5 bluezone airings a day requested, only 3 fit in the sessions"
    )
    assert p.location.line == 8


def test_a_nul_byte_is_reported_where_it_is(valid: StationFolder) -> None:
    path = valid.root / "schedules" / "station.yaml"
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2][:4] + "\0" + lines[2][4:]
    path.write_text("".join(lines))
    p = only(load_station(valid.root), "a character YAML does not allow (U+0000)")
    assert (p.location.line, p.location.column) == (3, 5)


MAX_SPOTS = 'sessions:\n  morning: {start: "05:30", end: "06:30", max_spots: 99999999999d}\n'
RAMP = GOOD_CAMPAIGN.replace("per_day: 2", "ramp: {start: 1, every: 99999999999d}")


@pytest.mark.parametrize(
    ("snippet", "settings"),
    [
        (MAX_SPOTS, ""),
        (GOOD_SESSIONS + GOOD_CAMPAIGN + "    min_gap: 1000000000d\n", ""),
        (GOOD_SESSIONS + GOOD_CAMPAIGN + "    min_gap: 25h\n", ""),
        (GOOD_SESSIONS + RAMP, ""),
        (GOOD_SESSIONS + GOOD_CAMPAIGN, "  audio: {late_grace: 99999999999d}\n"),
        (GOOD_SESSIONS + GOOD_CAMPAIGN, "  library: {max_duration: 400d}\n"),
        (GOOD_SESSIONS + GOOD_CAMPAIGN, "  audio: {cue_ahead: 2h}\n"),
    ],
    ids=[
        "max_spots",
        "min_gap huge",
        "min_gap 25h",
        "ramp.every",
        "late_grace",
        "max_duration",
        "cue_ahead",
    ],
)
def test_extreme_durations_are_located_errors(
    valid: StationFolder, snippet: str, settings: str
) -> None:
    valid.schedule(snippet)
    if settings:
        path = valid.root / "schedules" / "station.yaml"
        lines = path.read_text().splitlines(keepends=True)
        at = next(i for i, line in enumerate(lines) if line.startswith("  name:")) + 1
        path.write_text("".join([*lines[:at], settings, *lines[at:]]))
    loaded = load_station(valid.root)
    errors = loaded.errors
    assert errors, [p.format() for p in loaded.problems]
    assert any("too long" in p.message or "out of range" in p.message for p in errors), [
        p.format() for p in errors
    ]
    for p in errors:
        assert p.location.file == "schedules/station.yaml" and p.location.line > 1, p.format()


def test_a_playlist_clip_may_be_a_plain_path(station: StationFolder) -> None:
    station.schedule(GOOD_SESSIONS + GOOD_CAMPAIGN)
    station.clip("bluezone/a.wav")
    station.clip("bluezone/b.wav")
    station.playlist(
        "bluezone",
        "clips:\n  - bluezone/a.wav\n  - {file: bluezone/b.wav, title: B, weight: 2}\n",
    )
    loaded = load_station(station.root)
    assert loaded.problems == [], [p.format() for p in loaded.problems]
    assert loaded.schedule is not None
    clips = loaded.schedule.playlists["bluezone"].clips
    assert [(c.file, c.title, c.weight) for c in clips] == [
        ("bluezone/a.wav", "", 1),
        ("bluezone/b.wav", "B", 2),
    ]


def test_type_errors_show_the_expected_shape(station: StationFolder) -> None:
    station.schedule(
        "sessions:\n  morning: [05:00, 06:00]\ncampaigns:\n  - title: no id\n", station=True
    )
    loaded = load_station(station.root)
    mapping = only(loaded, "expected keys and values")
    assert mapping.hint.startswith("write it as {start: ..., end: ...")
    missing = only(loaded, 'the key "id" is missing')
    assert missing.hint.startswith("write it as {id: ..., from: ...")


def test_clips_named_as_they_were_before_import_point_to_their_copies(
    valid: StationFolder, tmp_path: Path
) -> None:
    """An MP3 copied straight into audio/ airs at its own loudness: validate names the command
    that imports it; a playlist naming a clip by its original file name (imported as a WAV)
    is told the name of the copy."""
    from datetime import UTC, datetime

    from playout.library.catalog import Catalog
    from playout.station_folder import import_file
    from playout.store import open_database

    db = open_database(tmp_path / "t.db")
    try:
        catalog = Catalog(db)
        source = tmp_path / "Zalo" / "thong-bao.mp3"
        source.parent.mkdir()
        subprocess.run(
            ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i",
             "sine=frequency=500:duration=2", str(source)],
            check=True,
        )  # fmt: skip
        import_file(valid.root, catalog, source, into="bluezone", title=None,
                    now=datetime(2020, 8, 1, tzinfo=UTC))  # fmt: skip
        copied = valid.root / "audio" / "bluezone" / "moi.mp3"
        copied.write_bytes(source.read_bytes())  # copied by hand, never imported
        valid.playlist(
            "bluezone",
            "clips:\n  - bluezone/thong-bao.mp3\n  - bluezone/moi.mp3\n  - bluezone/a.wav\n",
        )
        loaded = load_station(valid.root, catalog=catalog)
        missing = only(loaded, 'clip "bluezone/thong-bao.mp3"')
        assert missing.hint == (
            "it was imported as bluezone/thong-bao.wav: write that name in the playlist"
        )
        uncatalogued = only(loaded, "not in the catalog")
        assert "air at their own loudness" in uncatalogued.message
        assert (
            "bluezone/moi.mp3: import it: playout library import audio/bluezone/moi.mp3 --into "
            "bluezone, then name its copy bluezone/moi.wav in the playlist" in uncatalogued.hint
        )
    finally:
        db.close()
