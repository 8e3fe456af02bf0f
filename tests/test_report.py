"""The monthly report: a month of as-run log, every figure checked in every format."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from playout.cli import cli
from playout.cli.context import AppContext
from playout.clock import FixedClock
from playout.daemon.asrun import AsRunLog
from playout.planning import Airing, plan
from playout.reports import RENDERERS, build_report
from playout.reports.data import Report
from playout.reports.station import station_document
from playout.reports.text import Words, place_name
from playout.schedule.model import (
    Campaign,
    Playlist,
    PlaylistClip,
    Rotation,
    Schedule,
    Session,
    Station,
)
from playout.store import Database, Status, Trigger, open_database
from tests.browser import FLAGS
from tests.printing import A4_LANDSCAPE, libreoffice_pdf, read_pdf

TZ = "Asia/Ho_Chi_Minh"
FIRST, LAST = date(2020, 8, 1), date(2020, 8, 31)
CHANGE_DAY = date(2020, 8, 20)
EVIL_TITLE = '=HYPERLINK("http://x","click")'


def schedule(bluezone_after: int | None = None) -> Schedule:
    bluezone = {
        "id": "bluezone",
        "playlist": "bz",
        "from": "05/08/2020",
        "until": "31/08/2020",
        "frequency": [
            {"from": "05/08/2020", "per_day": 2},
            {"from": "15/08/2020", "per_day": 3},
        ],
    }
    if bluezone_after is not None:
        bluezone["frequency"] = [{"from": "05/08/2020", "per_day": bluezone_after}]
    return Schedule(
        station=Station(id="long-an/tan-an", name="Đài Tân An", timezone=TZ),
        sessions={
            "morning": Session.model_validate({"start": "05:30", "end": "06:30"}),
            "afternoon": Session.model_validate({"start": "16:30", "end": "17:30"}),
        },
        blackouts=(),
        campaigns=(
            Campaign.model_validate(bluezone),
            Campaign.model_validate(
                {"id": "covid-5k", "playlist": "c", "from": "01/08/2020", "at": ["05:45", "16:45"]}
            ),
        ),
        playlists={
            "bz": Playlist(
                "bz",
                "",
                Rotation.IN_ORDER,
                (PlaylistClip(file="bz/a.wav"), PlaylistClip(file="bz/b.wav")),
            ),
            "c": Playlist("c", "", Rotation.IN_ORDER, (PlaylistClip(file="@covid.wav"),)),
        },
    )


DUR = {"bz/a.wav": 13_000, "bz/b.wav": 4_000, "@covid.wav": 7_000}


def local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=7)


def fate(i: int) -> Status:
    if i % 7 == 3:
        return Status.MISSED
    if i % 11 == 5:
        return Status.FAILED
    if i % 13 == 6:
        return Status.INTERRUPTED
    return Status.COMPLETED


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, list[tuple[Airing, Status]]]:
    """A month of as-run log; returns the database and each final-plan airing with its fate."""
    return month_log(tmp_path_factory.mktemp("report") / "playout.db")


def month_log(path: Path) -> tuple[Database, list[tuple[Airing, Status]]]:
    db = open_database(path)
    asrun = AsRunLog(db, "long-an/tan-an")
    before, after = schedule(), schedule(bluezone_after=5)
    fates: list[tuple[Airing, Status]] = []
    i = 0
    day = FIRST
    while day <= LAST:
        first_plan = plan(before, day, day, durations=DUR)
        asrun.store_plan(
            day,
            first_plan.airings,
            1,
            "start",
            local(day, 0),
            {c.campaign: c.requested for c in first_plan.counts},
        )
        final = first_plan
        if day >= CHANGE_DAY:  # the operator raised Bluezone to 5 a day on the 20th at noon
            final = plan(after, day, day, durations=DUR)
            asrun.store_plan(
                day,
                final.airings,
                1,
                "reload",
                local(day, 12),
                {c.campaign: c.requested for c in final.counts},
            )
        for a in final.airings:
            status = fate(i)
            i += 1
            fates.append((a, status))
            if status is Status.MISSED:
                asrun.record(a, status, "station off air", at=a.start)
                continue
            asrun.begin(
                a, trigger=Trigger.SCHEDULE, actual_start=a.start, clip_sha256="0" * 64, run_id=None
            )
            played = {
                Status.COMPLETED: a.duration_ms,
                Status.INTERRUPTED: a.duration_ms // 2,
                Status.FAILED: 0,
            }[status]
            reason = {
                Status.FAILED: "<script>alert(1)</script> broken",
                Status.INTERRUPTED: "-1 power cut",
            }.get(status, "")
            asrun.finish(a.airing_id, status, played, reason, a.end)
            if status is Status.FAILED:  # the fallback stood in: not a campaign airing
                stand_in = Airing(**{**a.__dict__, "airing_id": a.airing_id + "-fallback"})
                asrun.begin(
                    stand_in,
                    trigger=Trigger.FALLBACK,
                    actual_start=a.start,
                    clip_sha256=None,
                    run_id=None,
                )
                asrun.finish(stand_in.airing_id, Status.COMPLETED, 3000, "", a.end)
        day += timedelta(days=1)
    return db, fates


def make_report(db: Database) -> Report:
    from zoneinfo import ZoneInfo

    return build_report(
        db,
        "long-an/tan-an",
        FIRST,
        LAST,
        tz=ZoneInfo(TZ),
        issued=date(2020, 9, 5),
        station_name="Trung tâm VH-TT-TT thành phố Tân An",
        area="Thành phố Tân An",
        province="Long An",
        prepared_by="Nguyễn Văn A",
        titles={"bluezone": "Cài đặt Bluezone", "covid-5k": EVIL_TITLE},
    )


def expected(fates: list[tuple[Airing, Status]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for a, status in fates:
        e = out.setdefault(a.campaign, Counter())  # type: ignore[arg-type]
        e["planned"] += 1
        e[status.value] += 1
        e["played_ms"] += {
            Status.COMPLETED: a.duration_ms,
            Status.INTERRUPTED: a.duration_ms // 2,
        }.get(status, 0)
    return out


def test_figures(month: tuple[Database, list[tuple[Airing, Status]]]) -> None:
    db, fates = month
    report = make_report(db)
    exp = expected(fates)
    by_id = {f.campaign: f for f in report.campaigns}
    assert set(by_id) == {"bluezone", "covid-5k"}
    for cid, e in exp.items():
        c = by_id[cid].counts
        assert (c.planned, c.completed, c.interrupted, c.failed, c.missed, c.played_ms) == (
            e["planned"],
            e["completed"],
            e["interrupted"],
            e["failed"],
            e["missed"],
            e["played_ms"],
        )
    # the plan in force each day counts: 2/day from the 5th, 3 from the 15th, 5 from the 20th
    bz = by_id["bluezone"]
    assert bz.counts.planned == 10 * 2 + 5 * 3 + 12 * 5
    assert bz.target == bz.counts.planned
    aired_by_day = Counter(
        a.day for a, s in fates if a.campaign == "bluezone" and s is Status.COMPLETED
    )
    assert report.grid[(date(2020, 8, 4), "bluezone")] == (0, 0)
    assert report.grid[(CHANGE_DAY, "bluezone")] == (aired_by_day[CHANGE_DAY], 5)
    assert bz.days_aired == len(aired_by_day)
    planned_by_day = Counter(a.day for a, _ in fates if a.campaign == "bluezone")
    assert bz.days_below == sum(aired_by_day[d] < n for d, n in planned_by_day.items())
    assert bz.target_met == sum(min(aired_by_day[d], n) for d, n in planned_by_day.items())
    # per clip
    assert sum(c.planned for c in bz.clips.values()) == bz.counts.planned
    assert set(bz.clips) == {"bz/a.wav", "bz/b.wav"}
    # the list of what did not complete: no fallback rows, ordered by time
    not_done = [s for _, s in fates if s is not Status.COMPLETED]
    assert len(report.not_completed) == len(not_done)
    assert not any(n.airing_id.endswith("-fallback") for n in report.not_completed)
    assert report.not_completed[0].planned_start.utcoffset() == timedelta(hours=7)
    assert report.aired == sum(s is Status.COMPLETED for _, s in fates)


def test_vietnamese_header() -> None:
    w = Words("vi")
    assert place_name("Thành phố Tân An") == "Tân An"
    report = Report(
        "s", "Đài", "Thành phố Tân An", "Long An", FIRST, LAST, date(2020, 9, 5), "", [], [], {}, []
    )
    assert w.period(report) == "Tháng 8 năm 2020"
    assert w.issued(report) == "Tân An, ngày 05 tháng 9 năm 2020"
    report.issued = date(2021, 2, 14)
    assert w.issued(report) == "Tân An, ngày 14 tháng 02 năm 2021"
    assert Words("en").period(report) == "August 2020"


def test_csv(month: tuple[Database, list[tuple[Airing, Status]]]) -> None:
    db, fates = month
    data = RENDERERS["csv"](make_report(db), "vi")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["BÁO CÁO THỜI LƯỢNG PHÁT SÓNG"]
    assert ["Tháng 8 năm 2020"] in rows
    assert ["Tân An, ngày 05 tháng 9 năm 2020"] in rows
    header = rows.index(
        [
            "Chiến dịch",
            "Kế hoạch",
            "Đã phát",
            "Phát dở",
            "Lỗi",
            "Bỏ lỡ",
            "Bỏ qua",
            "Chưa đến giờ",
            "Thời lượng",
            "Số ngày có phát",
            "Số ngày dưới chỉ tiêu",
            "Chỉ tiêu",
            "Tỷ lệ đạt",
        ]
    )
    table = {r[0]: r for r in rows[header + 1 : header + 3]}
    exp = expected(fates)
    bz = table["Cài đặt Bluezone"]
    assert bz[1:7] == [
        str(exp["bluezone"][k])
        for k in ("planned", "completed", "interrupted", "failed", "missed", "skipped")
    ]
    assert bz[7] == "0"  # a month that is over has nothing still to come
    minutes, seconds = divmod(round(exp["bluezone"]["played_ms"] / 1000), 60)
    assert bz[8] in (
        f"{minutes}:{seconds:02d}",
        f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}",
    )
    # formula injection: the evil title, the "@" clip and the "-1" reason are neutralised
    cells = [c for r in rows for c in r]
    # reasons in the report's language (stored as the daemon's English phrase)
    assert "đài không phát (máy tắt hoặc phần mềm không chạy)" in cells
    assert "station off air" not in cells
    english = RENDERERS["csv"](make_report(db), "en").decode("utf-8-sig")
    assert "station off air" in english
    assert "'" + EVIL_TITLE in cells and EVIL_TITLE not in cells
    assert "'@covid.wav" in cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


def test_xlsx(month: tuple[Database, list[tuple[Airing, Status]]], tmp_path: Path) -> None:
    db, fates = month
    path = tmp_path / "r.xlsx"
    path.write_bytes(RENDERERS["xlsx"](make_report(db), "vi"))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Tổng hợp", "Theo tin bài", "Theo ngày", "Không hoàn thành"]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula cell {cell.coordinate}: {cell.value}"
    summary = wb["Tổng hợp"]
    values = [[c.value for c in r] for r in summary.iter_rows()]
    bz = next(r for r in values if r[0] == "Cài đặt Bluezone")
    exp = expected(fates)["bluezone"]
    assert bz[1:7] == [
        exp["planned"],
        exp["completed"],
        exp["interrupted"],
        exp["failed"],
        exp["missed"],
        0,
    ]
    assert any(r[0] == EVIL_TITLE for r in values)  # kept as text, never a formula
    daily = wb["Theo ngày"]
    assert len(daily._charts) == 1
    grid = [[c.value for c in r] for r in daily.iter_rows(min_row=3, max_row=33)]
    assert grid[19][0] == "20/08/2020"
    assert grid[19][2] == 5  # bluezone's target on the 20th
    missing = wb["Không hoàn thành"]
    assert missing.max_row - 2 == sum(s is not Status.COMPLETED for _, s in fates)
    for ws in wb.worksheets:  # prints on A4 landscape, the width of one page, headers repeated
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.print_title_rows


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.in_cell = False
        self.svgs = 0
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("td", "th"):
            self.in_cell = True
            self.cells.append("")
        self.svgs += tag == "svg"
        self.scripts += tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self.in_cell = False

    def handle_data(self, data: str) -> None:
        if self.in_cell:
            self.cells[-1] += data.strip()


def test_html(month: tuple[Database, list[tuple[Airing, Status]]]) -> None:
    db, fates = month
    page = RENDERERS["html"](make_report(db), "vi").decode("utf-8")
    parser = _Cells()
    parser.feed(page)
    assert parser.scripts == 0, "text from the log is escaped"
    assert "&lt;script&gt;alert(1)&lt;/script&gt; broken" in page
    assert parser.svgs == 2  # one chart per campaign
    assert "@page { size: A4" in page
    exp = expected(fates)["covid-5k"]
    i = parser.cells.index(EVIL_TITLE)
    assert parser.cells[i + 1 : i + 6] == [
        str(exp[k]) for k in ("planned", "completed", "interrupted", "failed", "missed")
    ]
    assert "Tân An, ngày 05 tháng 9 năm 2020" in page
    english = RENDERERS["html"](make_report(db), "en").decode("utf-8")
    assert "AIRTIME REPORT" in english and "August 2020" in english


def test_html_prints_on_a4(
    month: tuple[Database, list[tuple[Airing, Status]]], tmp_path: Path
) -> None:
    db, _ = month
    assert shutil.which("chromium"), "chromium is missing: ./dev setup installs it"
    page = tmp_path / "report.html"
    page.write_bytes(RENDERERS["html"](make_report(db), "vi"))
    pdf = tmp_path / "report.pdf"
    subprocess.run(
        [
            "chromium",
            *FLAGS,
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    sizes = {
        tuple(round(float(x)) for x in m.split())
        for m in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+ [\d.]+)\s*\]", data)
    }
    assert sizes == {(596, 843)} or sizes == {(595, 842)}, sizes  # A4 in points
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert 2 <= pages <= 8
    layout = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    # the national motto on one line, beside the agency block (each about half the page)
    lines = layout.splitlines()
    nation = next(ln for ln in lines if "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in ln)
    assert "THÀNH PHỐ TÂN AN" in nation.upper() or "TÂN AN" in nation.upper(), nation
    assert any("Độc lập - Tự do - Hạnh phúc" in ln for ln in lines)
    assert any("Số: ......../BC" in ln for ln in lines)  # the number line
    assert "UBND THÀNH PHỐ TÂN AN" in layout  # the superior body, by default from the district
    signatures = next(ln for ln in lines if "NGƯỜI LẬP BIỂU" in ln.upper())
    assert "THỦ TRƯỞNG ĐƠN VỊ" in signatures.upper(), signatures  # both blocks on one line
    # every table inside the page width: nothing cut off at the right
    assert read_pdf(pdf).missing(station_document(make_report(db), "vi")) == []


def test_report_command(
    month: tuple[Database, list[tuple[Airing, Status]]], tmp_path: Path
) -> None:
    db, _ = month
    root = tmp_path / "station"
    (root / "schedules").mkdir(parents=True)
    (root / "schedules" / "s.yaml").write_text(
        f'station: {{id: long-an/tan-an, name: "Đài Tân An", district: "Thành phố Tân An", '
        f'database: "{db.path}"}}\n',
        encoding="utf-8",
    )
    obj = AppContext(root=root, clock=FixedClock(datetime(2020, 9, 5, 2, tzinfo=UTC)))
    for fmt in RENDERERS:
        out = tmp_path / f"r.{fmt}"
        result = CliRunner().invoke(
            cli,
            ["--dir", str(root), "report", "--format", fmt, "--out", str(out), "--by", "B"],
            obj=obj,
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
        assert "campaign(s)" in result.output
    # the default month is the previous one
    result = CliRunner().invoke(
        cli,
        ["--dir", str(root), "report", "--format", "csv", "--out", str(tmp_path / "d.csv")],
        obj=obj,
    )
    assert "Tháng 8 năm 2020" in (tmp_path / "d.csv").read_text(encoding="utf-8-sig")
    bad = CliRunner().invoke(cli, ["--dir", str(root), "report", "--month", "13/2020"], obj=obj)
    assert bad.exit_code == 2 and "there is no month 13" in bad.output
    # the station's report settings: the number line, the superior body, the signer
    (root / "schedules" / "s.yaml").write_text(
        f'station: {{id: long-an/tan-an, name: "Đài Tân An", district: "Thành phố Tân An", '
        f'database: "{db.path}", report: {{number: "BC-TTVH", head_name: "Nguyễn Văn An", '
        f'superior: "UBND thành phố Tân An, tỉnh Long An"}}}}\n',
        encoding="utf-8",
    )
    page = tmp_path / "s.html"
    done = CliRunner().invoke(
        cli, ["--dir", str(root), "report", "--format", "html", "--out", str(page)], obj=obj
    )
    assert done.exit_code == 0, done.output
    html = page.read_text(encoding="utf-8")
    assert "Số: ......../BC-TTVH" in html and "Nguyễn Văn An" in html
    assert "UBND thành phố Tân An, tỉnh Long An" in html


@pytest.mark.parametrize(
    ("ms", "vi", "en"),
    [
        (26_000, "26 giây", "26 s"),
        (400, "< 1 giây", "< 1 s"),
        (0, "0 giây", "0 s"),
        (185_000, "3 phút 5 giây", "3 min 5 s"),
        (180_000, "3 phút", "3 min"),
        (7_800_000, "2 giờ 10 phút", "2 h 10 min"),
    ],
)
def test_airtime_in_words_is_never_rounded_to_zero(ms: int, vi: str, en: str) -> None:
    from playout.reports.text import Words

    assert Words("vi").airtime(ms) == vi
    assert Words("en").airtime(ms) == en


def test_no_share_without_a_target() -> None:
    from playout.reports.text import percent

    assert percent(1.0, 0) == "—" and percent(0.5, 4) == "50%"


def test_announcements_are_named_in_the_reports_language() -> None:
    from playout.reports.text import Words

    assert Words("vi").title("announcement", "announcement") == "Thông báo đột xuất"
    assert Words("en").title("announcement", "announcement") == "Announcements"
    assert Words("vi").title("bluezone", "Cài đặt Bluezone") == "Cài đặt Bluezone"


def test_clip_rows_show_the_clips_title_and_file(
    month: tuple[Database, list[tuple[Airing, Status]]],
) -> None:
    import dataclasses

    from playout.reports.tables import clip_table
    from playout.reports.text import Words

    db, _ = month
    report = make_report(db)
    some = next(iter(report.campaigns[0].clips))
    report = dataclasses.replace(report, clip_titles={some: "Lời kêu gọi cài đặt Bluezone"})
    table = clip_table(report, Words("vi"))
    assert table.headers[:3] == ["Chiến dịch", "Tin bài", "Tệp"]
    row = next(r for r in table.rows if r[2] == some)
    assert row[1] == "Lời kêu gọi cài đặt Bluezone"


def test_the_target_is_visible_for_a_single_day() -> None:
    from datetime import date

    from playout.reports.station import bars_svg
    from playout.reports.text import Words

    svg = bars_svg([date(2020, 8, 5)], [(1, 2)], "Bluezone", Words("vi"))
    assert svg.count('class="target-mark"') == 1


def test_xlsx_prints_in_libreoffice(
    month: tuple[Database, list[tuple[Airing, Status]]], tmp_path: Path
) -> None:
    """LibreOffice prints the workbook on A4 landscape, every column inside the page, cells
    wide enough for what they hold, the header and both signature blocks there."""
    db, _ = month
    report = make_report(db)
    book = tmp_path / "report.xlsx"
    book.write_bytes(RENDERERS["xlsx"](report, "vi"))
    printed = read_pdf(libreoffice_pdf(book))
    Path("test-artifacts").mkdir(exist_ok=True)
    shutil.copy(book.with_suffix(".pdf"), Path("test-artifacts") / "station-report-xlsx.pdf")
    assert printed.page_sizes <= A4_LANDSCAPE, printed.page_sizes
    assert 2 <= printed.pages <= 10, printed.pages
    assert printed.off_page() == []
    assert printed.missing(station_document(report, "vi")) == []  # no cell cut
    lines = printed.lines
    assert any(ln.strip() == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" for ln in lines)
    assert any(ln.strip() == "Độc lập - Tự do - Hạnh phúc" for ln in lines)
    assert any("Số: ......../BC" in ln for ln in lines)
    signatures = next(ln for ln in lines if "NGƯỜI LẬP BIỂU" in ln.upper())
    assert "THỦ TRƯỞNG ĐƠN VỊ" in signatures.upper(), signatures
    text = " ".join(printed.layout.split())
    for f in report.campaigns:  # long cells whole on one line
        assert f.title in text, f.title
    for n in report.not_completed:
        assert n.clip in text, n.clip


# --------------------------------------------------------------------------- figures that add up


def _adds_up(c: object) -> bool:
    parts = ("completed", "interrupted", "failed", "missed", "skipped", "to_come")
    return getattr(c, "planned") == sum(getattr(c, p) for p in parts)  # noqa: B009


def test_figures_add_up_mid_month_with_a_station_installed_mid_day(tmp_path: Path) -> None:
    """Installed on the 20th at 10:00, reported on the 21st at 06:00: what was planned before
    the first start is not due, tomorrow's stored plan is still to come (shown, never missed
    nor a shortfall), an airing with no row is missed with the reason, a make-good stands for
    the airing it made good, an announcement is counted apart; planned = aired + interrupted
    + failed + missed + skipped + still to come."""
    from zoneinfo import ZoneInfo

    from playout import reasons

    db = open_database(tmp_path / "playout.db")
    try:
        asrun = AsRunLog(db, "long-an/tan-an")
        s = schedule()
        day1, day2, day3 = CHANGE_DAY, CHANGE_DAY + timedelta(days=1), CHANGE_DAY + timedelta(2)
        installed = local(day1, 10)
        plans = {}
        for day, stored in ((day1, installed), (day2, local(day1, 16)), (day3, local(day2, 5))):
            p = plan(s, day, day, durations=DUR)
            plans[day] = p.airings
            requested = {c.campaign: c.requested for c in p.counts}
            asrun.store_plan(day, p.airings, 1, "start", stored, requested)
        # the 20th: the afternoon airings (after the first start) only
        due1 = [a for a in plans[day1] if a.start >= installed]
        assert due1 and len(due1) < len(plans[day1])
        first, *rest = due1
        asrun.begin(first, trigger=Trigger.SCHEDULE, actual_start=first.start, clip_sha256=None,
                    run_id=None)  # fmt: skip
        asrun.finish(first.airing_id, Status.INTERRUPTED, 1000, reasons.EMERGENCY.text(), first.end)
        mg = Airing(**{**first.__dict__, "airing_id": first.airing_id + "-mg",
                       "start": first.start + timedelta(minutes=20)})  # fmt: skip
        asrun.begin(mg, trigger=Trigger.MAKE_GOOD, actual_start=mg.start, clip_sha256=None,
                    run_id=None)  # fmt: skip
        asrun.finish(mg.airing_id, Status.COMPLETED, mg.duration_ms, "", mg.end)
        no_row = rest[0]  # the daemon never logged it
        for a in rest[1:]:
            asrun.begin(a, trigger=Trigger.SCHEDULE, actual_start=a.start, clip_sha256=None,
                        run_id=None)  # fmt: skip
            asrun.finish(a.airing_id, Status.COMPLETED, a.duration_ms, "", a.end)
        note = Airing(**{**first.__dict__, "airing_id": "20200820-announcement-1",
                         "campaign": "announcement"})  # fmt: skip
        asrun.begin(note, trigger=Trigger.EMERGENCY, actual_start=note.start, clip_sha256=None,
                    run_id=None)  # fmt: skip
        asrun.finish(note.airing_id, Status.COMPLETED, note.duration_ms, "", note.end)
        # the 21st, 06:00: the morning airings before now aired, the rest is to come
        now = local(day2, 6)
        morning = [a for a in plans[day2] if a.start <= now]
        for a in morning:
            asrun.record(a, Status.COMPLETED, "", at=a.start)

        report = build_report(db, "long-an/tan-an", date(2020, 8, 1), date(2020, 8, 31),
                              tz=ZoneInfo(TZ), issued=day2, now=now)  # fmt: skip
        by_id = {f.campaign: f for f in report.campaigns}
        for f in report.campaigns:
            if f.campaign == "announcement":  # counted apart: aired, never planned
                continue
            assert _adds_up(f.counts), (f.campaign, f.counts)
            for clip in f.clips.values():
                assert _adds_up(clip), (f.campaign, clip)
        total_planned = sum(f.counts.planned for f in report.campaigns)
        assert total_planned == len(due1) + len(plans[day2]) + len(plans[day3])
        to_come = sum(f.counts.to_come for f in report.campaigns)
        assert to_come == len(plans[day2]) - len(morning) + len(plans[day3])
        assert sum(f.counts.missed for f in report.campaigns) == 1
        assert sum(f.counts.interrupted for f in report.campaigns) == 0  # it was made good
        assert by_id["announcement"].counts.planned == 0
        assert by_id["announcement"].counts.completed == 1
        (missed,) = [n for n in report.not_completed if n.status == "missed"]
        assert missed.airing_id == no_row.airing_id
        assert reasons.render(missed.reason, "vi") != missed.reason
        assert all(n.day < day2 for n in report.not_completed), "nothing to come is listed"
        bz = by_id["bluezone"]
        assert bz.days_below <= 1  # only the 20th can be short: the 21st is not over
        assert bz.target == 3  # the 20th's target; days not over are no shortfall
    finally:
        db.close()


@pytest.mark.parametrize(
    ("areas", "word"),
    [
        (["Thành phố Tân An", "Huyện Bến Lức"], "Huyện, thị xã, thành phố"),  # the 2020 data
        (["Xã Mỹ Yên", "Phường Long An", "Đặc khu Côn Đảo"], "Xã, phường, đặc khu"),  # 2025
        (["Huyện Bến Lức", "Xã Mỹ Yên"], "Địa bàn"),  # a province across the change
    ],
)
def test_the_province_report_names_its_areas_as_the_data_does(areas: list[str], word: str) -> None:
    from playout.reports.province import ProvinceReport, StationFigures, province_tables

    stations = [StationFigures(f"s/{i}", f"Đài {i}", a, TZ, None) for i, a in enumerate(areas)]
    report = ProvinceReport("Tây Ninh", "", FIRST, LAST, date(2020, 9, 5), "", stations)
    summary, by_station, _silent = province_tables(report, Words("vi"))
    assert summary[0].headers[0] == word and by_station.headers[0] == word
    assert summary[0].title.endswith(word.lower()) or word == "Địa bàn"
