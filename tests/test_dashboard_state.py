"""The dashboard's judgement of a station, as a table of cases (a pure function of the station's
last contact, today's figures, its sessions and the time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from playout.hub.web.overview import StationLine
from playout.hub.web.pages import group_by_area
from playout.hub.web.state import Span, State, Tally, Today, judge
from playout.hub.web.words import Words

NOON = datetime(2020, 8, 15, 5, 0, tzinfo=UTC)  # 12:00 in Hanoi
SILENT = timedelta(minutes=20)
MORNING = Span("morning", NOON - timedelta(hours=6, minutes=30), NOON - timedelta(hours=5))
MIDDAY = Span("midday", NOON - timedelta(minutes=30), NOON + timedelta(minutes=30))
EVENING = Span("evening", NOON + timedelta(hours=5), NOON + timedelta(hours=6))


def today(
    spans: list[Span] | None = None,
    *,
    plan: bool = True,
    due: int = 0,
    aired: int = 0,
    missed: int = 0,
) -> Today:
    return Today(
        has_plan=plan,
        due=due,
        spans=[MORNING, EVENING] if spans is None else spans,
        campaigns={"bluezone": Tally(planned=5, aired=aired, missed=missed)},
    )


ago = NOON.__sub__
M = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("last_contact", "figures", "state", "reason"),
    [
        (None, today(), State.GREY, "never_connected"),
        (ago(1 * M), today(), State.GREEN, "on_track"),
        # silent, but no session since the silence began: resting, not a problem
        (ago(3 * 60 * M), today(), State.GREEN, "resting"),
        # silent during the session that is on now
        (ago(25 * M), today([MORNING, MIDDAY]), State.RED, "silent"),
        # silent for less than silent_after during a session: not yet
        (ago(15 * M), today([MIDDAY]), State.GREEN, "on_track"),
        # silent since before a session that has ended: the whole session went unheard
        (ago(7 * 60 * M), today([MORNING]), State.RED, "silent"),
        # last heard during the morning, silent after it, no session since: resting
        (MORNING.end - 10 * M, today([MORNING]), State.GREEN, "resting"),
        # a missed airing today is red even in contact
        (ago(1 * M), today(missed=1, aired=1, due=2), State.RED, "missed"),
        # fewer aired than due
        (ago(1 * M), today(aired=1, due=2), State.AMBER, "behind"),
        (ago(1 * M), today(aired=2, due=2), State.GREEN, "on_track"),
        # in contact but the daemon planned nothing today (an earlier plan stands in)
        (ago(1 * M), today(plan=False), State.AMBER, "no_plan"),
        # never sent a plan: no sessions known, so silence alone is not red
        (ago(3 * 60 * M), today([], plan=False), State.GREEN, "resting"),
    ],
)
def test_judge(last_contact: datetime | None, figures: Today, state: State, reason: str) -> None:
    verdict = judge(last_contact, figures, NOON, SILENT)
    assert (verdict.state, verdict.reason) == (state, reason)


def test_a_silent_verdict_names_the_session_and_the_time() -> None:
    verdict = judge(ago(25 * M), today([MIDDAY]), NOON, SILENT)
    assert Words("vi", "Asia/Ho_Chi_Minh").verdict(verdict, NOON) == (
        "Mất liên lạc từ 11:35 trong buổi phát midday"
    )
    assert Words("en", "Asia/Ho_Chi_Minh").verdict(verdict, NOON) == (
        "No contact since 11:35 during session midday"
    )


@pytest.mark.parametrize(
    ("gap", "vi", "en"),
    [
        (timedelta(seconds=30), "vừa xong", "just now"),
        (timedelta(minutes=5), "5 phút trước", "5 min ago"),
        (timedelta(hours=3, minutes=59), "3 giờ trước", "3 h ago"),
        (timedelta(days=2, hours=1), "2 ngày trước", "2 days ago"),
        (None, "chưa bao giờ", "never"),
    ],
)
def test_ago(gap: timedelta | None, vi: str, en: str) -> None:
    at = None if gap is None else NOON - gap
    assert Words("vi", "Asia/Ho_Chi_Minh").ago(at, NOON) == vi
    assert Words("en", "Asia/Ho_Chi_Minh").ago(at, NOON) == en


def _line(station_id: str, district: str, state: State, contact_min: int | None) -> StationLine:
    line = StationLine(
        station_id, station_id.upper(), district, "Long An", "Asia/Ho_Chi_Minh",
        None if contact_min is None else ago(contact_min * M), "", 0,
    )  # fmt: skip
    line.verdict = judge(line.last_contact, today(), NOON, SILENT)
    line.verdict = type(line.verdict)(state, line.verdict.reason)
    return line


def test_grouped_by_area_and_sorted_within() -> None:
    lines = [
        _line("b", "Huyện Bến Lức", State.GREEN, 1),
        _line("a", "Huyện Bến Lức", State.RED, 300),
        _line("c", "Thành phố Tân An", State.AMBER, 5),
        _line("d", "Huyện Cần Giuộc", State.GREY, None),
    ]
    groups = group_by_area(lines, "state", problems_only=False)
    assert [(d, [s.id for s in ss]) for d, ss in groups] == [
        ("Huyện Bến Lức", ["a", "b"]),
        ("Huyện Cần Giuộc", ["d"]),
        ("Thành phố Tân An", ["c"]),
    ]
    by_contact = group_by_area(lines, "contact", problems_only=False)
    assert [s.id for s in by_contact[0][1]] == ["a", "b"]  # longest silent first
    only = group_by_area(lines, "name", problems_only=True)
    assert [(d, [s.id for s in ss]) for d, ss in only] == [
        ("Huyện Bến Lức", ["a"]),
        ("Huyện Cần Giuộc", ["d"]),
        ("Thành phố Tân An", ["c"]),
    ]


def test_an_announcement_never_makes_up_for_a_campaign_airing() -> None:
    figures = today(aired=1, due=2)
    figures.campaigns["announcement"] = Tally(planned=0, aired=1)
    verdict = judge(ago(1 * M), figures, NOON, SILENT)
    assert (verdict.state, verdict.reason) == (State.AMBER, "behind")
    assert verdict.params == {"aired": 1, "due": 2}
    assert (figures.planned, figures.announcements) == (5, 1)


@pytest.mark.parametrize(
    ("name", "vi"),
    [("morning", "sáng"), ("noon", "trưa"), ("afternoon-2", "chiều 2"), ("evening", "tối"),
     ("midday", "midday"), ("morning-news", "morning-news")],
)  # fmt: skip
def test_the_names_init_gives_sessions_are_said_in_vietnamese(name: str, vi: str) -> None:
    """playout init names sessions by their start (morning, noon ...): a Vietnamese page says
    them in Vietnamese; a name the station chose is shown as it is."""
    assert Words("vi", "Asia/Ho_Chi_Minh").session(name) == vi
    assert Words("en", "Asia/Ho_Chi_Minh").session(name) == name
