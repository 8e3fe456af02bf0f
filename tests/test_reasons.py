"""Reasons as code + parameters: every phrase the daemon and the player write parses back and
renders in Vietnamese; anything else is kept as it is."""

from __future__ import annotations

import re

import pytest

from playout import reasons
from playout.daemon.timewatch import Jump
from playout.player.base import judge

SAMPLE = {"late": "20 min", "until": "14:30", "note": "họp xã", "sha": "0a1b2c3d4e5f…",
          "span": "4.2 s", "frozen": "3.5", "at": "12.0", "detail": "pulse: sink gone",
          "kind": "error", "played": "0.5", "length": "2.0",
          "clip": "bluezone/ngan.wav", "path": "/srv/dai/audio/bluezone/ngan.wav",
          "error": "Permission denied", "state": "State.Error", "actual": "0a1b2c3d4e5f…",
          "expected": "9f8e7d6c5b4a…", "wanted": "06:30:00", "start": "06:32:10"}  # fmt: skip


@pytest.mark.parametrize("phrase", reasons.PHRASES, ids=lambda p: p.code)
def test_every_phrase_round_trips_and_has_vietnamese(phrase: reasons.Phrase) -> None:
    params = {name: SAMPLE[name] for name in phrase.fields()}
    text = phrase.text(**params)
    assert reasons.parse(text) == [(phrase.code, params)]
    vi = reasons.render(text, "vi")
    assert vi != text and reasons.render(text, "en") == text
    # no English words of the template are left (parameters may be anything)
    left = re.sub(r"\{\w+\}", "", phrase.en)
    for word in re.findall(r"[a-z]{4,}", left):
        # words Vietnamese uses too, and a command's name
        if word not in ("libvlc", "card", "audio", "playout", "library", "import"):
            assert word not in vi.replace(params.get("detail", ""), ""), (word, vi)


@pytest.mark.parametrize(
    ("text", "vi"),
    [
        (
            "late by 20 min: the output was busy or the station was off; no free time left "
            "today to make it good",
            "trễ 20 phút: đầu ra đang bận hoặc đài đang tắt; trong ngày không còn chỗ trống để "
            "phát bù",
        ),
        (
            Jump(before=0, after=3600, step_s=3600, frozen_s=0).describe(),
            "đồng hồ máy nhảy tới 60 phút",
        ),
        (
            "the system clock stepped back by 2.0 h and the daemon was frozen for 4.2 s",
            "đồng hồ máy lùi lại 2.0 giờ và phần mềm bị treo 4.2 giây",
        ),
        ("paused until 14:30 (họp xã)", "tạm dừng đến 14:30 (họp xã)"),
        (judge(500, 2000).reason, "kết thúc sớm: phát 0.5 trên 2.0 giây (tệp hỏng hoặc bị cắt?)"),
        ("started 1.4 s late; Operator's own words", "bắt đầu trễ 1.4 giây; Operator's own words"),
        ("", ""),
    ],
)
def test_composed_reasons_render_in_vietnamese(text: str, vi: str) -> None:
    assert reasons.render(text, "vi") == vi


def test_codes_are_unique() -> None:
    codes = [p.code for p in reasons.PHRASES]
    assert len(codes) == len(set(codes))


def test_the_daemon_and_the_players_write_only_catalogued_reasons() -> None:
    """What recovery, the engine and the players store parses as phrases: nothing of them
    stays English in a Vietnamese report."""
    from pathlib import Path

    from playout.daemon.recovery import STOPPED_DURING, UNKNOWN
    from playout.player.base import PlayerError, check_file

    stored = [STOPPED_DURING, UNKNOWN]
    for bad in (Path("/nonexistent/x.wav"),):
        with pytest.raises(PlayerError) as info:
            check_file(bad)
        stored.append(str(info.value))
    for text in stored:
        assert all(code for code, _ in reasons.parse(text)), text
        assert reasons.render(text, "vi") != text
