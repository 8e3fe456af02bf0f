"""The hub with a real PostgreSQL (private cluster) and a real ``playout hub serve`` on
127.0.0.1: the upload protocol under the faults a province meets. Counts come from the hub's
database."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from playout.clock import FixedClock, SystemClock
from playout.store import Database, Status, open_database
from playout.sync import next_batch, read_state
from tests.audio_bench import PulseBench
from tests.daemon_bench import PLAYOUT, DaemonProcess, Slot, build_station
from tests.history import SAMPLE, History, Sample, sample, write_history
from tests.hub_bench import (
    Hub,
    counts_agree,
    free_port,
    hub_airings,
    hub_count,
    new_hub_database,
    register,
    uploader,
)
from tests.pg_bench import PostgresCluster

pytestmark = pytest.mark.slow
WEEK = (date(2020, 8, 5), date(2020, 8, 11))


@pytest.fixture(scope="session")
def the_sample() -> Sample:
    return sample()


def station_db(tmp: Path, name: str) -> Database:
    return open_database(tmp / f"{name}.db")


def history(db: Database, s: Sample, station_id: str, first: date, last: date) -> History:
    return write_history(db, s.for_station(station_id), s.durations, first, last, seed=7)


def local_airings(db: Database) -> dict[str, tuple[str, int]]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT airing_id, status, played_ms FROM airings"))
        return {r.airing_id: (r.status, r.played_ms) for r in rows}


def test_a_week_offline_then_the_hub_comes_back(
    pg: PostgresCluster, tmp_path: Path, the_sample: Sample
) -> None:
    h = Hub(pg, tmp_path)  # not started: the hub is down all week
    token = register(h.engine, "long-an/a")
    db = station_db(tmp_path, "a")
    written = history(db, the_sample, "long-an/a", *WEEK)
    up = uploader(h.url, token, "long-an/a", timeout=3)
    down = up.run(db, SystemClock(), retries=2, backoff=(0.05, 0.1))
    assert not down.ok and "cannot reach the hub" in down.error
    state = read_state(db, "long-an/a")
    assert state.acked_seq == 0 and state.rows_waiting > len(written.airings)
    assert "cannot reach" in state.last_error

    h.start()
    try:
        first = up.run(db, SystemClock())
        assert first.ok, first.error
        # the station restarts: rows left 'playing' by the crash are closed, and go up again
        from playout.daemon.asrun import AsRunLog

        closed = AsRunLog(db, "long-an/a").close_playing("interrupted: the station stopped")
        assert closed
        second = up.run(db, SystemClock())
        assert second.ok and second.rows_sent >= len(closed)
        hub = hub_airings(h.engine, "long-an/a")
        assert hub == local_airings(db)  # 0 lost, 0 doubled (the key is unique), same fates
        assert len(hub) == len(written.airings)
        assert all(status != Status.PLAYING.value for status, _ in hub.values())
        assert hub_count(h.engine, "day_plans", "long-an/a") == written.plans
        assert read_state(db, "long-an/a").rows_waiting == 0
        counts_agree(h.engine)
    finally:
        h.server.stop()
        h.engine.dispose()


def _post(
    url: str, token: str | None, body: bytes, **headers: str
) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(
        f"{url}/api/v1/upload",
        data=body,
        method="POST",
        headers={
            **({"Authorization": f"Bearer {token}"} if token else {}),
            "Content-Type": "application/json",
            **headers,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _post_big(url: str, token: str, body: bytes, **headers: str) -> int:
    """Send a large body the way a client does that ignores an early answer: the hub may answer
    413 and close before the body is all sent; the answer is still read."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.putrequest("POST", "/api/v1/upload")
    for name, value in {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        **headers,
    }.items():
        conn.putheader(name, value)
    conn.endheaders()
    try:
        for i in range(0, len(body), 1 << 20):
            conn.send(body[i : i + (1 << 20)])
    except OSError:
        pass  # the hub stopped reading: its answer is waiting
    status = conn.getresponse().status
    conn.close()
    return status


def _batch_body(rows: list[dict[str, object]], station_id: str) -> bytes:
    return json.dumps({"protocol": 1, "station": {"id": station_id}, "rows": rows}).encode()


def test_the_same_batch_twice_and_an_old_copy_late(
    hub: Hub, tmp_path: Path, the_sample: Sample
) -> None:
    token = register(hub.engine, "long-an/b")
    db = station_db(tmp_path, "b")
    history(db, the_sample, "long-an/b", *WEEK)
    batch = next_batch(db, "long-an/b", 0)
    body = _batch_body(batch.rows, "long-an/b")
    for _ in range(2):  # the answer to the first was lost
        status, answer = _post(hub.url, token, body)
        assert status == 200 and answer["acked_seq"] == batch.last_seq
    local = local_airings(db)
    assert hub_airings(hub.engine, "long-an/b") == local
    # the station closes a 'playing' row; then the old copy (lower seq) arrives late again
    from playout.daemon.asrun import AsRunLog

    AsRunLog(db, "long-an/b").close_playing("interrupted: the station stopped")
    assert uploader(hub.url, token, "long-an/b").run(db, SystemClock()).ok
    _post(hub.url, token, body)
    assert hub_airings(hub.engine, "long-an/b") == local_airings(db)
    assert Status.PLAYING.value not in {s for s, _ in hub_airings(hub.engine, "long-an/b").values()}
    counts_agree(hub.engine)


def test_a_clock_that_steps_back_hides_nothing(
    hub: Hub, tmp_path: Path, the_sample: Sample
) -> None:
    token = register(hub.engine, "long-an/c")
    db = station_db(tmp_path, "c")
    schedule = the_sample.for_station("long-an/c")
    write_history(db, schedule, the_sample.durations, WEEK[0], WEEK[0], seed=1)
    up = uploader(hub.url, token, "long-an/c")
    clock = FixedClock(SystemClock().now())
    assert up.run(db, clock).ok
    # the station's clock is set back one hour; what it logs next has earlier times
    clock.advance(-timedelta(hours=1))
    earlier = (WEEK[0] - timedelta(days=1), WEEK[0] - timedelta(days=1))
    write_history(db, schedule, the_sample.durations, *earlier, seed=2)
    assert up.run(db, clock).ok
    assert hub_airings(hub.engine, "long-an/c") == local_airings(db)


def test_station_a_cannot_write_station_b(hub: Hub, tmp_path: Path, the_sample: Sample) -> None:
    token_a = register(hub.engine, "long-an/a")
    register(hub.engine, "long-an/b")
    db = station_db(tmp_path, "b")
    history(db, the_sample, "long-an/b", WEEK[0], WEEK[0])
    rows = next_batch(db, "long-an/b", 0).rows
    status, answer = _post(hub.url, token_a, _batch_body(rows, "long-an/a"))
    assert status == 403 and "long-an/b" in str(answer["detail"])
    status, _ = _post(hub.url, token_a, _batch_body(rows, "long-an/b"))
    assert status == 403
    for table in ("airings", "day_plans"):
        assert hub_count(hub.engine, table, "long-an/a") == 0
        assert hub_count(hub.engine, table, "long-an/b") == 0
    # the refused batches moved nothing of station a either (its row is touched in the same
    # transaction as the rows are stored, and rolled back with them)
    from playout.hub.auth import list_stations

    a = next(s for s in list_stations(hub.engine) if s.id == "long-an/a")
    assert (a.acked_seq, a.last_contact) == (0, None)


def test_wrong_missing_or_revoked_tokens(hub: Hub, tmp_path: Path, the_sample: Sample) -> None:
    token = register(hub.engine, "long-an/d")
    db = station_db(tmp_path, "d")
    history(db, the_sample, "long-an/d", WEEK[0], WEEK[0])
    body = _batch_body(next_batch(db, "long-an/d", 0).rows, "long-an/d")
    assert _post(hub.url, None, body)[0] == 401
    assert _post(hub.url, token + "x", body)[0] == 401
    from playout.hub.auth import revoke, rotate_token

    revoke(hub.engine, "long-an/d", SystemClock().now())
    assert _post(hub.url, token, body)[0] == 401
    assert hub_count(hub.engine, "airings", "long-an/d") == 0
    assert "missing, wrong or revoked token" in hub.server.output()
    new = rotate_token(hub.engine, "long-an/d", SystemClock().now())
    assert _post(hub.url, new, body)[0] == 200
    assert _post(hub.url, token, body)[0] == 401  # the old token stays dead


def test_hostile_requests_get_4xx_and_the_hub_stays_up(hub: Hub, tmp_path: Path) -> None:
    token = register(hub.engine, "long-an/e")
    rss_before = hub.server.rss_mb()
    assert _post(hub.url, token, b"{not json")[0] == 400
    assert _post(hub.url, token, b"[1, 2]")[0] == 400
    assert _post(hub.url, token, b"{}", **{"Content-Type": "text/plain"})[0] == 415
    fifty_mb = b'{"protocol": 1, "rows": [' + b" " * (50 << 20) + b"]}"
    assert _post_big(hub.url, token, fifty_mb) == 413
    bomb = gzip.compress(b'{"protocol": 1, "rows": [' + b" " * (200 << 20) + b"]}")
    assert _post_big(hub.url, token, bomb, **{"Content-Encoding": "gzip"}) == 413
    row = {"table": "airings", "seq": 1, "data": {}}
    million = gzip.compress(_batch_body([row] * 1_000_000, "long-an/e"))
    assert _post_big(hub.url, token, million, **{"Content-Encoding": "gzip"}) == 413
    few = [{**row, "seq": i} for i in range(6000)]
    assert _post(hub.url, token, _batch_body(few, "long-an/e"))[0] == 413
    # bad rows are refused alone: kept aside with their reason, the good one stored
    good = {
        "table": "alert_levels",
        "seq": 3,
        "data": {
            "station_id": "long-an/e",
            "id": 1,
            "level": 2,
            "since": "2020-08-05T00:00:00+07:00",
            "reason": "surge",
            "operator": "ops",
        },
    }
    bad = [
        {"table": "airings", "seq": 1, "data": {"airing_id": "x"}},
        {"table": "nonsense", "seq": 2, "data": {}},
        {"table": "alert_levels", "seq": "x", "data": {}},
    ]
    status, answer = _post(hub.url, token, _batch_body([*bad, good], "long-an/e"))
    assert status == 200 and answer["acked_seq"] == 3 and answer["stored"] == 1
    assert len(answer["refused"]) == 3  # type: ignore[arg-type]
    assert hub_count(hub.engine, "refused_rows", "long-an/e") == 3
    assert hub_count(hub.engine, "alert_levels", "long-an/e") == 1
    assert hub.server.healthy()
    assert hub.server.rss_mb() < rss_before + 150


def test_station_killed_mid_upload(hub: Hub, tmp_path: Path, the_sample: Sample) -> None:
    token = register(hub.engine, "long-an/f")
    path = tmp_path / "f.db"
    db = open_database(path)
    history(db, the_sample, "long-an/f", date(2020, 8, 1), date(2020, 8, 31))
    db.close()
    script = (
        "import sys\n"
        "from playout.clock import SystemClock\n"
        "from playout.store import open_database\n"
        "from tests.hub_bench import uploader\n"
        "db = open_database(__import__('pathlib').Path(sys.argv[1]))\n"
        "up = uploader(sys.argv[2], sys.argv[3], 'long-an/f')\n"
        "up.run(db, SystemClock(), max_rows=5)\n"
    )
    proc = subprocess.Popen(
        [__import__("sys").executable, "-c", script, str(path), hub.url, token],
        cwd=Path(__file__).resolve().parent.parent,
    )
    deadline = time.monotonic() + 60
    while hub_count(hub.engine, "airings", "long-an/f") < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.kill()  # SIGKILL, somewhere in an upload
    proc.wait()
    db = open_database(path)
    assert read_state(db, "long-an/f").rows_waiting > 0  # it really stopped half way
    assert uploader(hub.url, token, "long-an/f").run(db, SystemClock()).ok
    assert hub_airings(hub.engine, "long-an/f") == local_airings(db)
    counts_agree(hub.engine)


def test_postgres_crashes_mid_upload(
    pg: PostgresCluster, hub: Hub, tmp_path: Path, the_sample: Sample
) -> None:
    token = register(hub.engine, "long-an/g")
    db = station_db(tmp_path, "g")
    history(db, the_sample, "long-an/g", date(2020, 8, 1), date(2020, 8, 31))
    up = uploader(hub.url, token, "long-an/g", timeout=10)
    results = []
    worker = threading.Thread(
        target=lambda: results.append(
            up.run(db, SystemClock(), retries=30, backoff=(0.2, 1.0), max_rows=5)
        )
    )
    worker.start()
    deadline = time.monotonic() + 60
    while hub_count(hub.engine, "airings", "long-an/g") < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    hub.engine.dispose()
    pg.stop("immediate")  # a crash: no checkpoint, connections cut
    time.sleep(2)
    pg.start()
    worker.join(120)
    assert results and results[0].ok, results and results[0].error
    assert hub_airings(hub.engine, "long-an/g") == local_airings(db)
    assert "database unavailable" in hub.server.output()
    counts_agree(hub.engine)


def test_province_report(
    hub: Hub, tmp_path: Path, the_sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stations that sent a month (one with a name that looks like a formula), one that sent
    nothing, one in another district; the figures equal each station's own report."""
    import csv
    import io

    import openpyxl
    from click.testing import CliRunner

    from playout.cli import cli
    from playout.hub.auth import add_station
    from playout.reports import build_report

    month = (date(2020, 8, 1), date(2020, 8, 31))
    evil = '=HYPERLINK("http://x","Đài A")'
    now = SystemClock().now()
    tokens = {
        sid: add_station(
            hub.engine,
            sid,
            name=name,
            area=district,
            province="Long An",
            timezone="Asia/Ho_Chi_Minh",
            now=now,
        )
        for sid, name, district in [
            ("long-an/a", evil, "Thành phố Tân An"),
            ("long-an/b", "Đài B", "Thành phố Tân An"),
            ("long-an/silent", "Đài Im Lặng", "Thành phố Tân An"),
            ("long-an/other", "Đài Khác", "Huyện Bến Lức"),
        ]
    }
    dbs = {}
    for sid, last in (("long-an/a", month[1]), ("long-an/b", date(2020, 8, 20))):
        dbs[sid] = station_db(tmp_path, sid.split("/")[1])
        history(dbs[sid], the_sample, sid, month[0], last)
        assert uploader(hub.url, tokens[sid], sid).run(dbs[sid], SystemClock()).ok
    monkeypatch.setenv("PLAYOUT_HUB_DB", hub.db_url)
    runner = CliRunner()
    out = tmp_path / "p.csv"
    result = runner.invoke(
        cli,
        ["hub", "report", "--month", "08/2020", "--district", "Thành phố Tân An",
         "--format", "csv", "--out", str(out), "--by", "Nguyễn Văn A"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "3 station(s)" in result.output and "1 station(s) without data" in result.output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0] == ["BÁO CÁO TỔNG HỢP THỜI LƯỢNG PHÁT SÓNG CỦA CÁC ĐÀI"]
    cells = [c for r in rows for c in r]
    assert "'" + evil in cells and evil not in cells  # never a formula
    assert "Đài Khác" not in cells  # another district
    silent = next(r for r in rows if "Đài Im Lặng" in r)
    assert silent[2] == "không có dữ liệu" and silent[3] == "chưa bao giờ"
    header = rows.index(
        next(r for r in rows if r[:3] == ["Huyện, thị xã, thành phố", "Đài", "Chiến dịch"])
    )
    by_station = {(r[1], r[2]): r for r in rows[header + 1 :] if len(r) > 11}
    for sid, name in (("long-an/a", "'" + evil), ("long-an/b", "Đài B")):
        own = build_report(
            dbs[sid], sid, *month, tz=the_sample.schedule.station.tz, issued=month[1]
        )
        titles = the_sample.schedule.campaign_titles()  # the stations' own titles, not ids
        for f in own.campaigns:
            row = by_station[(name, titles.get(f.campaign, f.campaign))]
            assert row[3:9] == [
                str(f.counts.planned), str(f.counts.completed), str(f.counts.interrupted),
                str(f.counts.failed), str(f.counts.missed), str(f.counts.skipped),
            ]  # fmt: skip
            assert row[9] == str(f.counts.to_come)
            assert row[11:15] == [str(f.days_aired), str(f.days_below), str(f.target),
                                  f"{f.share * 100:.0f}%"]  # fmt: skip
    for fmt in ("xlsx", "html"):
        target = tmp_path / f"p.{fmt}"
        result = runner.invoke(
            cli, ["hub", "report", "--month", "08/2020", "--format", fmt, "--lang", "en",
                  "--out", str(target)],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / "p.xlsx")
    assert wb.sheetnames == ["Summary", "By campaign", "By station", "No data"]
    for ws in wb.worksheets:
        for row_cells in ws.iter_rows():
            assert all(c.data_type != "f" for c in row_cells)
    page = (tmp_path / "p.html").read_text()
    assert "<script" not in page and "Stations with no data" in page and "Đài Khác" in page
    # printed: Chromium prints the page, LibreOffice the workbook; A4, nothing cut off
    from playout.hub.report import build_province_report
    from playout.reports.province import province_document
    from tests.printing import A4_LANDSCAPE, A4_PORTRAIT, chromium_pdf, libreoffice_pdf, read_pdf

    for fmt in ("xlsx", "html"):
        result = runner.invoke(
            cli, ["hub", "report", "--month", "08/2020", "--format", fmt,
                  "--out", str(tmp_path / f"vi.{fmt}")],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    document = province_document(
        build_province_report(hub.engine, *month, issued=date(2020, 9, 5), prepared_by=""), "vi"
    )
    for pdf, sizes in (
        (chromium_pdf(tmp_path / "vi.html", tmp_path / "vi-html.pdf"), A4_PORTRAIT | A4_LANDSCAPE),
        (libreoffice_pdf(tmp_path / "vi.xlsx"), A4_LANDSCAPE),
    ):
        printed = read_pdf(pdf)
        assert printed.page_sizes <= sizes, (pdf.name, printed.page_sizes)
        assert 1 <= printed.pages <= 8, (pdf.name, printed.pages)
        assert printed.missing(document) == [], pdf.name
        assert printed.off_page() == [], pdf.name
        lines = printed.lines
        assert any("Độc lập - Tự do - Hạnh phúc" in ln for ln in lines), pdf.name
        assert any("Số: ......../" in ln for ln in lines), pdf.name
        signers = next(ln for ln in lines if "NGƯỜI LẬP BIỂU" in ln.upper())
        assert "GIÁM ĐỐC" in signers.upper(), (pdf.name, signers)  # the province head
    wrong = runner.invoke(cli, ["hub", "report", "--month", "08/2020", "--district", "Tan An"])
    assert wrong.exit_code == 1 and "Thành phố Tân An" in wrong.output


def test_province_figures_equal_the_stations_with_make_goods_and_announcements(
    hub: Hub, tmp_path: Path, the_sample: Sample
) -> None:
    """A make-good stands for the airing it made good, one that failed counts only its
    airtime, an announcement is apart: the hub's figures are the station's, and add up."""
    from dataclasses import replace

    from playout.daemon.asrun import AsRunLog
    from playout.hub.auth import add_station
    from playout.hub.report import build_province_report
    from playout.planning import plan
    from playout.reports import build_report
    from playout.store import Trigger

    sid, day = "long-an/mg", date(2020, 8, 10)
    token = add_station(hub.engine, sid, name="Đài MG", area="Thành phố Tân An",
                        province="Long An", timezone="Asia/Ho_Chi_Minh",
                        now=SystemClock().now())  # fmt: skip
    db = station_db(tmp_path, "mg")
    log = AsRunLog(db, sid)
    result = plan(the_sample.for_station(sid), day, day, durations=the_sample.durations)
    airings = list(result.airings)
    log.store_plan(day, airings, 1, "start", airings[0].start - timedelta(hours=1),
                   {c.campaign: c.requested for c in result.counts})  # fmt: skip
    cut, lost, *rest = airings
    for a, status in ((cut, Status.INTERRUPTED), (lost, Status.INTERRUPTED)):
        log.begin(a, trigger=Trigger.SCHEDULE, actual_start=a.start, clip_sha256=None, run_id=None)
        log.finish(a.airing_id, status, 500, "interrupted by an emergency announcement", a.end)
    for a, status in ((cut, Status.COMPLETED), (lost, Status.FAILED)):
        mg = replace(a, airing_id=a.airing_id + "-mg", start=a.start + timedelta(minutes=30),
                     wanted=a.start)  # fmt: skip
        log.begin(mg, trigger=Trigger.MAKE_GOOD, actual_start=mg.start, clip_sha256=None,
                  run_id=None)  # fmt: skip
        log.finish(mg.airing_id, status, 700, "", mg.end)
    note = replace(cut, airing_id="20200810-announcement-1", campaign="announcement")
    log.begin(note, trigger=Trigger.EMERGENCY, actual_start=note.start, clip_sha256=None,
              run_id=None)  # fmt: skip
    log.finish(note.airing_id, Status.COMPLETED, 900, "", note.end)
    for a in rest:
        log.record(a, Status.COMPLETED, "", at=a.start)
    assert uploader(hub.url, token, sid).run(db, SystemClock()).ok
    own = build_report(db, sid, day, day, tz=the_sample.schedule.station.tz, issued=day)
    province = build_province_report(hub.engine, day, day, issued=date(2020, 9, 1))
    (station,) = [st for st in province.stations if st.station_id == sid]
    hub_counts = {f.campaign: f.counts for f in station.campaigns}
    for f in own.campaigns:
        assert hub_counts[f.campaign] == f.counts, f.campaign
        c = f.counts
        if f.campaign != "announcement":
            parts = (c.completed, c.interrupted, c.failed, c.missed, c.skipped, c.to_come)
            assert c.planned == sum(parts), f.campaign
    assert sum(c.interrupted for c in hub_counts.values()) == 1  # the one not made good
    assert hub_counts["announcement"].planned == 0


def test_the_daemon_uploads_in_the_background(hub: Hub, tmp_path: Path, pulse: PulseBench) -> None:
    token = register(hub.engine, "test/e2e")
    station = build_station(
        tmp_path / "station",
        {"a.wav": (800, 1.0)},
        [Slot(0, "a.wav"), Slot(3, "a.wav")],
        lead_s=8,
        hub=f"{hub.url} {token}",
    )
    daemon = DaemonProcess.start(station, pulse)
    try:
        assert daemon.wait_for("on air: station"), daemon.output()
        deadline = time.monotonic() + 20  # the first upload runs at start
        while time.monotonic() < deadline and not (
            hub_count(hub.engine, "day_plans", "test/e2e")
            and hub_count(hub.engine, "daemon_runs", "test/e2e")
        ):
            time.sleep(0.2)
        assert hub_count(hub.engine, "day_plans", "test/e2e") >= 1, daemon.output()
        deadline = station.instant(station.slots[-1]).timestamp() + 2 + 10 + 15  # next upload
        while time.time() < deadline:
            done = [s for s, _ in hub_airings(hub.engine, "test/e2e").values() if s == "completed"]
            if len(done) == 2:
                break
            time.sleep(0.5)
        assert len(done) == 2, (hub_airings(hub.engine, "test/e2e"), daemon.output())
        status = subprocess.run(
            [PLAYOUT, "status"],
            capture_output=True,
            text=True,
            env={**os.environ, "PLAYOUT_DIR": str(station.root)},
            timeout=30,
        )
        assert "HUB      last upload" in status.stdout, status.stdout + status.stderr
    finally:
        daemon.terminate()


def test_schema_and_migrations(pg: PostgresCluster) -> None:
    """The Core tables match what the migrations made; a newer database is refused."""
    from click.testing import CliRunner
    from sqlalchemy import inspect

    from playout.cli import cli
    from playout.hub.schema import metadata

    url = pg.new_database()
    runner = CliRunner()
    served = runner.invoke(cli, ["hub", "station", "list", "--db", url])
    assert served.exit_code == 1 and "playout hub init" in served.output  # not made yet
    made = runner.invoke(cli, ["hub", "init", "--db", url])
    assert made.exit_code == 0 and "-> 0011" in made.output, made.output
    engine = new_hub_database(url)
    try:
        found = inspect(engine)
        for table in metadata.sorted_tables:
            columns = {c["name"] for c in found.get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    finally:
        engine.dispose()
    newer = runner.invoke(cli, ["hub", "init", "--db", url])
    assert newer.exit_code == 1 and "newer than this playout" in newer.output
    bad = runner.invoke(cli, ["hub", "init", "--db", "sqlite:///x.db"])
    assert bad.exit_code == 1 and "needs PostgreSQL" in bad.output


def test_sync_command(hub: Hub, tmp_path: Path, the_sample: Sample) -> None:
    """``playout sync`` in a station folder: the token file's mode is checked, rows are sent."""
    import shutil

    from click.testing import CliRunner

    from playout.cli import cli

    root = tmp_path / "station"
    shutil.copytree(SAMPLE / "schedules", root / "schedules")
    shutil.copytree(SAMPLE / "playlists", root / "playlists")
    station_file = root / "schedules" / "tan-an.yaml"
    station_file.write_text(
        station_file.read_text(encoding="utf-8").replace(
            "  database: var/playout.db",
            f"  database: var/playout.db\n  hub: {{url: '{hub.url}', token_file: hub.token}}",
        ),
        encoding="utf-8",
    )
    token = register(hub.engine, "long-an/tan-an")
    (root / "hub.token").write_text(token + "\n", encoding="utf-8")
    (root / "hub.token").chmod(0o644)
    db = open_database(root / "var" / "playout.db")
    history(db, the_sample, "long-an/tan-an", *WEEK)
    db.close()
    runner = CliRunner()
    loose = runner.invoke(cli, ["--dir", str(root), "sync", "--once"])
    assert loose.exit_code == 1 and "chmod 600" in loose.output, loose.output
    (root / "hub.token").chmod(0o600)
    sent = runner.invoke(cli, ["--dir", str(root), "sync", "--json"])
    assert sent.exit_code == 0, sent.output
    data = json.loads(sent.output)
    assert data["ok"] and data["rows_sent"] > 0 and data["rows_waiting"] == 0
    again = runner.invoke(cli, ["--dir", str(root), "sync"])
    assert again.exit_code == 0 and "sent 0 row(s)" in again.output
    (root / "hub.token").write_text("pot_wrong\n", encoding="utf-8")
    refused = runner.invoke(cli, ["--dir", str(root), "sync", "--once"])
    assert refused.exit_code == 1 and "401" in refused.output


def test_the_demo_hub(tmp_path: Path) -> None:
    """What ``./dev hub`` runs: a province of four stations, synced, reported, served."""
    import sys

    demo = subprocess.run(
        [sys.executable, str(SAMPLE / "scripts" / "hub_demo.py"), "--exit-after", "0.5",
         "--port", str(free_port()), "--work", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "The demo hub is up" in demo.stdout
    assert "4 station(s), " in demo.stdout and "1 station(s) without data" in demo.stdout
    assert (tmp_path / "demo" / "province-report-2020-08.xlsx").stat().st_size > 0
    assert "không có dữ liệu" in (tmp_path / "demo" / "province-report-2020-08.html").read_text()


def test_the_migration_fills_day_sessions_as_the_upload_does(
    pg: PostgresCluster, tmp_path: Path, the_sample: Sample
) -> None:
    """Migration 0004 derives each day's sessions from the plans already stored; they equal the
    ones the upload keeps for the same plans."""
    from playout.hub.db import engine_for, migrate
    from playout.hub.storage import Partitions, store_batch

    db = station_db(tmp_path, "s")
    history(db, the_sample, "long-an/ben-luc", *WEEK)
    rows = next_batch(db, "long-an/ben-luc", 0, max_rows=5000).rows
    plans = [r for r in rows if r["table"] == "day_plans"]
    assert len(plans) == 7
    engines = {}
    for name, target in (("uploaded", "head"), ("migrated", "0003")):
        engine = engines[name] = engine_for(pg.new_database())
        migrate(engine, target)
        if target == "head":
            register(engine, "long-an/ben-luc")
        else:  # the schema of then (a district, not yet an area)
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO stations (id, name, district, province, timezone,"
                        " token_hash, token_set_at, created_at) VALUES ('long-an/ben-luc', 'B',"
                        " 'Huyện Bến Lức', 'Long An', 'Asia/Ho_Chi_Minh', 'x', now(), now())"
                    )
                )
    store_batch(
        engines["uploaded"], Partitions(), "long-an/ben-luc", plans,
        timezone=None, software="", now=datetime.now(UTC),
    )  # fmt: skip
    with engines["uploaded"].connect() as src, engines["migrated"].begin() as dst:
        for r in src.execute(text("SELECT * FROM day_plans")).mappings():
            dst.execute(
                text(
                    "INSERT INTO day_plans VALUES (:station_id, :day, :version, :revision, "
                    ":effective_from, :reason, :level, :digest, CAST(:plan AS jsonb))"
                ),
                {**r, "plan": json.dumps(r["plan"])},
            )
    migrate(engines["migrated"])
    found = {}
    for name, engine in engines.items():
        with engine.connect() as conn:
            found[name] = conn.execute(
                text("SELECT * FROM day_sessions ORDER BY day, session")
            ).all()
        engine.dispose()
    assert len(found["uploaded"]) >= 7
    assert found["uploaded"] == found["migrated"]
