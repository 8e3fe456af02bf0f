"""The hub's dashboard in a real browser (Debian's headless Chromium through chromedriver) and
over plain HTTP, against a real ``playout hub serve`` on 127.0.0.1 with a real PostgreSQL.
Stations send their data through the real upload API."""

from __future__ import annotations

import base64
import csv
import io
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import Engine

from playout.clock import SystemClock
from playout.daemon.asrun import AsRunLog
from playout.hub.auth import add_station
from playout.planning import plan
from playout.schedule.model import HubSettings, Station
from playout.station_folder import load_station
from playout.store import Database, Status, Trigger, open_database
from playout.sync import Uploader
from tests.browser import artifact, chromium
from tests.daemon_bench import PLAYOUT, Slot, build_station, midday_zone
from tests.history import Sample, sample, write_history
from tests.hub_bench import HubServer, free_port, migrated_database
from tests.pg_bench import PostgresCluster
from tests.web_client import WebClient

pytestmark = pytest.mark.slow
PASSWORD = "correct horse battery"
SILENT_S = 20  # long enough for a loaded CI machine to log in and look before it passes


@dataclass
class Dashboard:
    engine: Engine
    db_url: str
    server: HubServer
    log: Path

    @property
    def url(self) -> str:
        return self.server.url

    def client(self) -> WebClient:
        return WebClient("127.0.0.1", self.server.port)

    def user(self, name: str, role: str, password: str = PASSWORD) -> None:
        subprocess.run(
            [PLAYOUT, "hub", "user", "add", name, "--role", role, "--password-stdin",
             "--db", self.db_url],
            input=password + "\n", text=True, check=True, capture_output=True,
        )  # fmt: skip


@pytest.fixture
def dash(pg: PostgresCluster, tmp_path: Path) -> Dashboard:
    url, engine = migrated_database(pg)
    server = HubServer(url, free_port())
    log = tmp_path / "hub.log"
    # red after SILENT_S without contact during a session; the overview refreshes every second
    server.start(log, options=["--silent-after", f"{SILENT_S}s", "--refresh", "1s"])
    yield Dashboard(engine, url, server, log)
    server.stop()
    engine.dispose()


def register(d: Dashboard, station_id: str, name: str, district: str, tz: str) -> str:
    return add_station(
        d.engine, station_id, name=name, area=district, province="Long An",
        timezone=tz, now=datetime.now(UTC),
    )  # fmt: skip


def upload(d: Dashboard, db: Database, station_id: str, token: str, tz: str) -> None:
    station = Station(
        id=station_id, name=station_id, timezone=tz,
        hub=HubSettings(url=d.url, token_file="hub.token"),
    )  # fmt: skip
    result = Uploader(d.url, token, station).run(db, SystemClock())
    assert result.ok, result.error


def august_stations(d: Dashboard, tmp: Path, stations: list[tuple[str, str]], seed: int) -> None:
    """Stations (id, area) registered with August 2020 of the sample sent through the API."""
    the_sample = sample()
    for station_id, area in stations:
        token = register(d, station_id, f"Đài {station_id}", area, "Asia/Ho_Chi_Minh")
        db = open_database(tmp / f"{station_id.split('/')[1]}.db")
        write_history(
            db, the_sample.for_station(station_id), the_sample.durations,
            date(2020, 8, 1), date(2020, 8, 31), seed=seed,
        )  # fmt: skip
        upload(d, db, station_id, token, "Asia/Ho_Chi_Minh")


def on_air_station(
    d: Dashboard, tmp: Path, station_id: str, district: str
) -> tuple[Database, str, str]:
    """A station whose session is on now: today's plan has an airing that aired a minute and a
    half ago (logged as completed) and one in ten minutes. Its data is sent once."""
    tz = midday_zone(datetime.now(UTC))
    folder = build_station(
        tmp / station_id.replace("/", "_"), {"spot.wav": (440, 2.0)},
        [Slot(-90, "spot.wav"), Slot(600, "spot.wav")], lead_s=0, fallback=None, tz=tz,
    )  # fmt: skip
    yaml = folder.root / "schedules" / "station.yaml"  # the campaign has a title
    yaml.write_text(
        yaml.read_text(encoding="utf-8").replace(
            "  - id: c-spot\n", "  - id: c-spot\n    title: Tin bài thử\n"
        ),
        encoding="utf-8",
    )
    loaded = load_station(folder.root, capacity=False)
    assert loaded.schedule is not None, loaded.problems
    schedule = Sample(loaded.schedule, dict(loaded.durations)).for_station(station_id)
    today = datetime.now(ZoneInfo(tz)).date()
    airings = plan(schedule, today, today, durations=dict(loaded.durations)).airings
    assert len(airings) == 2 and schedule.campaign_titles() == {"c-spot": "Tin bài thử"}
    db = open_database(tmp / f"{station_id.replace('/', '_')}.db")
    log = AsRunLog(db, station_id)
    log.store_plan(
        today, airings, 1, "start", datetime.now(UTC) - timedelta(minutes=5), None,
        schedule.campaign_titles(),
    )  # fmt: skip
    first = airings[0]
    log.begin(first, trigger=Trigger.SCHEDULE, actual_start=first.start, clip_sha256=None,
              run_id=None)  # fmt: skip
    log.finish(first.airing_id, Status.COMPLETED, first.duration_ms, "", first.end)
    token = register(d, station_id, f"Đài {station_id}", district, tz)
    upload(d, db, station_id, token, tz)
    return db, token, tz


def row(driver: WebDriver, station_id: str) -> tuple[str, str]:
    """(class, text) of a station's row, read in one script: the overview replaces its table
    every second, so an element found in one call may be gone in the next."""
    found = driver.execute_script(
        "const r = document.querySelector(`tr[data-station='${arguments[0]}']`);"
        "return r ? [r.className, r.innerText] : ['', ''];",
        station_id,
    )
    return str(found[0]), str(found[1])


def row_state(driver: WebDriver, station_id: str) -> str:
    return row(driver, station_id)[0]


def log_in(driver: WebDriver, user: str, password: str = PASSWORD) -> None:
    driver.find_element(By.ID, "user").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    WebDriverWait(driver, 15).until(  # the next page, or the login page with its error
        lambda drv: (
            drv.find_elements(By.ID, "logout") or drv.find_elements(By.CSS_SELECTOR, ".error")
        )
    )


def test_log_in_see_a_station_go_red_when_its_data_stops_and_log_out(
    dash: Dashboard, tmp_path: Path
) -> None:
    db, token, tz = on_air_station(dash, tmp_path, "long-an/ben-luc", "Huyện Bến Lức")
    dash.user("tinh", "province")
    with chromium() as driver:
        driver.get(dash.url + "/")
        assert "/login" in driver.current_url  # no page without a login
        log_in(driver, "tinh")
        assert driver.current_url == dash.url + "/"
        upload(dash, db, "long-an/ben-luc", token, tz)  # in contact now
        driver.refresh()
        assert row_state(driver, "long-an/ben-luc") == "green"
        text = row(driver, "long-an/ben-luc")[1]
        assert "vừa xong" in text and "1/2" in text, text
        assert "Tin bài thử" in text and "c-spot" not in text, text  # its title, not its id
        # the station sends nothing more; the page refreshes its table by itself
        driver.execute_script("window.notReloaded = true")
        WebDriverWait(driver, SILENT_S + 20, poll_frequency=0.5).until(
            lambda drv: row_state(drv, "long-an/ben-luc") == "red"
        )
        assert driver.execute_script("return window.notReloaded") is True  # no full reload
        text = row(driver, "long-an/ben-luc")[1]
        assert "Mất liên lạc từ" in text, text
        # the station page (through its link): today's log, the month's chart, the state
        link = driver.execute_script(
            "return document.querySelector(`tr[data-station='long-an/ben-luc'] a`).href"
        )
        driver.get(link)
        page = driver.find_element(By.TAG_NAME, "main").text
        assert "hoàn thành" in page and "sắp phát" in page, page
        assert "Tin bài thử" in page and "c-spot" not in page, page
        assert driver.find_elements(By.CSS_SELECTOR, "figure.chart svg rect.aired")
        # English on demand
        driver.get(dash.url + "/stations/long-an/ben-luc?lang=en")
        assert "Today's as-run log" in driver.find_element(By.TAG_NAME, "main").text
        driver.find_element(By.ID, "logout").click()
        WebDriverWait(driver, 15).until(lambda drv: "/login" in drv.current_url)
        driver.get(dash.url + "/")
        assert "/login" in driver.current_url  # the session is over


def test_a_district_user_sees_only_its_district(dash: Dashboard, tmp_path: Path) -> None:
    august_stations(
        dash, tmp_path, [("long-an/ben-luc", "Huyện Bến Lức"), ("long-an/tan-an", "TP")], seed=3
    )
    dash.user("benluc", "district:Huyện Bến Lức")
    dash.user("tinh", "province")

    web = dash.client()
    assert web.get("/").status == 303  # to the login page
    refused = web.post("/login", {"user": "benluc", "password": PASSWORD})  # no CSRF token
    assert refused.status == 403 and "/" not in web.cookies.get("playout_session", "/")
    answer = web.login("benluc", PASSWORD)
    assert answer.status == 303 and answer.location == "/"
    cookie = next(h for h in answer.headers.get_all("set-cookie") if "playout_session" in h)
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    overview = web.get("/").text
    assert "long-an/ben-luc" in overview and "long-an/tan-an" not in overview
    page = web.get("/stations/long-an/ben-luc")
    assert page.status == 200
    # sequence numbers and checksums are for the administrator: in the closed details only
    plain, _, technical = page.text.partition('<details class="technical">')
    assert "Đã nhận đến số thứ tự" in technical and "Đã nhận đến số thứ tự" not in plain
    assert "sha256" not in plain
    assert web.get("/stations/long-an/tan-an").status == 403  # asked for directly
    assert web.get("/stations/long-an/nowhere").status == 404
    csrf = web.csrf("/reports")
    choices = web.get("/reports").text  # formats and languages in words, not codes
    assert "Bảng tính Excel (.xlsx)" in choices and "Tiếng Việt" in choices
    assert ">xlsx<" not in choices and ">vi<" not in choices
    # the last 13 months, and any earlier month with airings: August 2020 here, years ago
    assert "<option>08/2020</option>" in choices and "<option>01/2019</option>" not in choices
    form = {"csrf": csrf, "month": "08/2020", "format": "xlsx", "lang": "vi"}
    assert web.post("/reports", {**form, "area": "TP"}).status == 403
    assert web.post("/reports", {**form, "area": ""}).status == 403  # the whole province
    mine = web.post("/reports", {**form, "area": "Huyện Bến Lức"})
    assert mine.status == 200 and mine.body[:2] == b"PK"  # an XLSX (zip)
    assert "attachment" in mine.headers["content-disposition"]
    no_token = {k: v for k, v in form.items() if k != "csrf"}
    assert web.post("/reports", {**no_token, "area": "Huyện Bến Lức"}).status == 403
    assert web.post("/logout", {}).status == 403  # logout too needs the token
    assert web.get("/").status == 200  # ... so the session is still there
    copied = WebClient(web.host, web.port, dict(web.cookies))  # someone copied the cookie
    assert copied.get("/").status == 200
    assert web.post("/logout", {"csrf": web.csrf("/")}).status == 303
    assert copied.get("/").status == 303, "a copied cookie ends with the logout"
    assert web.login("benluc", PASSWORD).status == 303

    province = dash.client()
    assert province.login("tinh", PASSWORD).status == 303
    everything = province.get("/").text
    assert "long-an/ben-luc" in everything and "long-an/tan-an" in everything
    csrf = province.csrf("/reports")
    whole = province.post("/reports", {**form, "csrf": csrf, "area": "", "format": "csv"})
    assert whole.status == 200 and "long-an/tan-an" in whole.text
    cells = [c for row in csv.reader(io.StringIO(whole.text)) for c in row]
    assert "tinh" not in cells, "the preparer is never the login name"

    # a new password ends the user's sessions
    subprocess.run(
        [PLAYOUT, "hub", "user", "password", "benluc", "--password-stdin", "--db", dash.db_url],
        input="another password\n", text=True, check=True, capture_output=True,
    )  # fmt: skip
    assert web.get("/").status == 303

    with chromium() as driver:  # and in the browser, the other district's station page
        driver.get(dash.url + "/login")
        log_in(driver, "benluc", "another password")
        driver.get(dash.url + "/stations/long-an/tan-an")
        assert "Bạn không có quyền xem trang này" in driver.page_source


def test_failed_logins_are_slowed_down_locked_and_logged(dash: Dashboard) -> None:
    dash.user("tinh", "province")
    web = dash.client()
    started = time.monotonic()
    for _ in range(5):
        assert web.login("tinh", "wrong password").status == 401
    assert time.monotonic() - started >= 5  # each failure waits a second
    locked = web.login("tinh", PASSWORD)  # right now, but locked after five failures
    assert locked.status == 429 and "Đăng nhập sai quá nhiều lần" in locked.text
    assert web.login("nobody", PASSWORD).status == 401
    log = dash.log.read_text()
    assert "failed login for 'tinh' from 127.0.0.1 (5 in a row)" in log
    assert "login for 'tinh' from 127.0.0.1 refused: locked" in log
    subprocess.run(  # the administrator sets a new password: the lock is lifted
        [PLAYOUT, "hub", "user", "password", "tinh", "--password-stdin", "--db", dash.db_url],
        input=PASSWORD + "\n", text=True, check=True, capture_output=True,
    )  # fmt: skip
    assert web.login("tinh", PASSWORD).status == 303


def test_guesses_sent_at_once_meet_the_lock(dash: Dashboard) -> None:
    """60 guesses for one user at once (the right password among them): at most five are
    checked, the rest are refused as locked."""
    from concurrent.futures import ThreadPoolExecutor

    dash.user("xa", "province")
    clients = [dash.client() for _ in range(60)]
    for c in clients:
        c.csrf()

    def guess(i: int) -> int:
        return clients[i].login("xa", PASSWORD if i == 30 else f"guess {i}").status

    with ThreadPoolExecutor(60) as pool:
        answers = list(pool.map(guess, range(60)))
    checked = [a for a in answers if a != 429]
    assert len(checked) <= 5, answers  # the lock falls after five, however they arrive
    assert answers.count(429) >= 55


def test_others_failures_from_one_address_never_lock_out_the_right_password(
    dash: Dashboard,
) -> None:
    """20 failures of other names from one address (an office behind one proxy) throttle it,
    but a known user's right password still logs in."""
    dash.user("xa", "province")
    assert dash.client().login("XA", PASSWORD).status == 303  # names whatever their case
    office = dash.client()
    spoofed = {"csrf": office.csrf(), "user": "nobody", "password": PASSWORD}
    assert office.request("POST", "/login", spoofed, **{"X-Forwarded-For": "203.0.113.9"}).status
    log = dash.log.read_text()  # no proxy is trusted by default: the peer's address counts
    assert "from 127.0.0.1" in log and "203.0.113.9" not in log
    for i in range(19):
        assert office.login(f"nobody-{i}", PASSWORD).status == 401
    assert office.login("nobody-21", PASSWORD).status == 429  # the address is throttled
    assert office.login("xa", "a wrong one").status == 429
    assert office.login("xa", PASSWORD).status == 303  # ... but not the right password


def test_overview_on_a_desktop_a_phone_and_paper(dash: Dashboard, tmp_path: Path) -> None:
    """Screenshots of the overview (test-artifacts/), no sideways scrolling on a phone, and a
    print without the navigation."""
    the_sample = sample()
    now = datetime.now(UTC)
    for n, (station_id, district) in enumerate(
        [("long-an/tan-an", "Thành phố Tân An"), ("long-an/ben-luc", "Huyện Bến Lức"),
         ("long-an/can-giuoc", "Huyện Cần Giuộc"), ("long-an/thu-thua", "Huyện Thủ Thừa")]
    ):  # fmt: skip
        token = register(
            dash, station_id, f"Đài Truyền thanh {district}", district, "Asia/Ho_Chi_Minh"
        )
        if n == 3:
            continue  # never connects
        today = now.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
        db = open_database(tmp_path / f"{n}.db")
        write_history(
            db, the_sample.for_station(station_id), the_sample.durations,
            today.replace(day=1), today, seed=n + 1, until=now,
        )  # fmt: skip
        upload(dash, db, station_id, token, "Asia/Ho_Chi_Minh")
    dash.user("tinh", "province")
    with chromium(1280, 900) as driver:
        driver.get(dash.url + "/login")
        log_in(driver, "tinh")
        assert len(driver.find_elements(By.CSS_SELECTOR, "tr[data-station]")) == 4
        driver.save_screenshot(str(artifact("dashboard-overview-desktop.png")))
        driver.set_window_size(390, 844)
        driver.get(dash.url + "/")
        driver.save_screenshot(str(artifact("dashboard-overview-phone.png")))
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
        driver.set_window_size(1280, 900)
        pdf = base64.b64decode(driver.print_page(PrintOptions()))
    printed = tmp_path / "overview.pdf"
    printed.write_bytes(pdf)
    artifact("dashboard-overview.pdf").write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(printed), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Huyện Bến Lức" in text and "Thành phố Tân An" in text
    assert "Đăng xuất" not in text and "Chỉ các đài có vấn đề" not in text  # no controls on paper


def test_a_province_of_communes_in_todays_words(dash: Dashboard, tmp_path: Path) -> None:
    """Since July 2025: stations of communes and wards in two areas, a user of one area, a
    bundle sent to that area. The pages and the report name the areas "Xã, phường, đặc khu"
    (the 2020 data's "Huyện" is for districts only), the area's user sees its station alone."""
    from click.testing import CliRunner

    from playout.cli import cli
    from tests.test_campaigns import BUNDLE

    august_stations(
        dash, tmp_path, [("tay-ninh/my-yen", "Xã Mỹ Yên"), ("tay-ninh/tan-an", "Phường Tân An")],
        seed=5,
    )  # fmt: skip
    dash.user("myyen", "area:Xã Mỹ Yên")
    dash.user("tinh", "province")
    sent = CliRunner().invoke(
        cli, ["hub", "campaign", "publish", str(BUNDLE), "--to", "area:Xã Mỹ Yên",
              "--db", dash.db_url],
    )  # fmt: skip
    assert sent.exit_code == 0, sent.output
    commune = "Xã, phường, đặc khu"
    with chromium() as driver:
        driver.get(dash.url + "/login")
        log_in(driver, "tinh")
        for path in ("/reports", "/campaigns"):
            driver.get(dash.url + path)
            text = driver.find_element(By.TAG_NAME, "body").text
            assert commune in text and "Huyện" not in text, (path, text)
        driver.get(dash.url + "/")
        text = driver.find_element(By.TAG_NAME, "body").text
        assert "Xã Mỹ Yên" in text and "Phường Tân An" in text
    with chromium() as driver:
        driver.get(dash.url + "/login")
        log_in(driver, "myyen")
        stations = driver.find_elements(By.CSS_SELECTOR, "tr[data-station]")
        assert [s.get_attribute("data-station") for s in stations] == ["tay-ninh/my-yen"]
        driver.get(dash.url + "/campaigns")
        assert "tay-ninh/tan-an" not in driver.page_source
    web = dash.client()
    assert web.login("tinh", PASSWORD).status == 303
    form = {"csrf": web.csrf("/reports"), "month": "08/2020", "format": "csv", "lang": "vi"}
    report = web.post("/reports", {**form, "area": ""})
    assert report.status == 200
    assert "Tổng hợp theo xã, phường, đặc khu" in report.text and "huyện" not in report.text
    # the stations' own campaigns by the titles their schedules give them, not by their ids
    assert "Cài đặt ứng dụng Bluezone" in report.text, report.text


def test_a_station_installed_after_this_mornings_airings_is_not_behind(
    dash: Dashboard, tmp_path: Path
) -> None:
    """An airing planned before the station's daemon first ran was never due: the overview
    does not count it against the station ("behind")."""
    from playout.hub.web.overview import station_lines
    from playout.hub.web.state import State

    tz = midday_zone(datetime.now(UTC))
    folder = build_station(
        tmp_path / "st", {"spot.wav": (440, 2.0)}, [Slot(-100, "spot.wav"), Slot(600, "spot.wav")],
        lead_s=0, fallback=None, tz=tz,
    )  # fmt: skip
    yaml = folder.root / "schedules" / "station.yaml"  # the campaign has a title
    yaml.write_text(
        yaml.read_text(encoding="utf-8").replace(
            "  - id: c-spot\n", "  - id: c-spot\n    title: Tin bài thử\n"
        ),
        encoding="utf-8",
    )
    loaded = load_station(folder.root, capacity=False)
    assert loaded.schedule is not None, loaded.problems
    schedule = Sample(loaded.schedule, dict(loaded.durations)).for_station("long-an/new")
    today = datetime.now(ZoneInfo(tz)).date()
    airings = plan(schedule, today, today, durations=dict(loaded.durations)).airings
    db = open_database(tmp_path / "new.db")
    log = AsRunLog(db, "long-an/new")
    assert len(airings) == 2
    installed = datetime.now(UTC) - timedelta(seconds=60)  # the airing of 100 s ago predates it
    log.begin_run(1, "pc", installed, "pulse")
    log.store_plan(today, airings, 1, "start", installed)
    token = register(dash, "long-an/new", "Đài mới", "Xã Mỹ Yên", tz)
    upload(dash, db, "long-an/new", token, tz)
    (line,) = station_lines(dash.engine, datetime.now(UTC), timedelta(seconds=30))
    assert line.today.due == 0, line.today
    assert line.verdict is not None and line.verdict.state is not State.AMBER, line.verdict


def _english_words() -> set[str]:
    """The dashboard's English words (its table's, three letters and more) that its Vietnamese
    table does not use itself (loanwords: "email", "LUFS" ...)."""
    import re

    from playout.hub.web.words import ENGLISH
    from playout.i18n import table

    def words(table: dict[str, str]) -> set[str]:
        text = " ".join(re.sub(r"\{\w*\}", " ", v) for v in table.values())
        return {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}

    return words(ENGLISH) - words(table("vi", "dashboard", ENGLISH))


def test_the_vietnamese_pages_hold_no_english(dash: Dashboard, tmp_path: Path) -> None:
    """Every page a province official opens, in Vietnamese: no word of the English table
    (station ids, file names and campaign ids aside)."""
    import re

    from click.testing import CliRunner

    from playout.cli import cli
    from tests.test_campaigns import BUNDLE

    on_air_station(dash, tmp_path, "long-an/ben-luc", "Huyện Bến Lức")
    dash.user("tinh", "province")
    for args in (["publish", str(BUNDLE), "--to", "all"], ["withdraw", "bluezone-2020"]):
        done = CliRunner().invoke(cli, ["hub", "campaign", *args, "--db", dash.db_url])
        assert done.exit_code == 0, done.output
    done = CliRunner().invoke(
        cli, ["hub", "campaign", "publish", str(BUNDLE), "--to", "all", "--db", dash.db_url]
    )
    # the words the issue found, and the names playout init gives sessions
    english = _english_words() | {"all", "district", "morning", "noon", "afternoon", "evening"}
    found: dict[str, set[str]] = {}
    with chromium() as driver:
        driver.get(dash.url + "/")
        log_in(driver, "tinh")
        for path in ("/", "/stations/long-an/ben-luc", "/campaigns", "/reports"):
            driver.get(dash.url + path)
            text = driver.find_element(By.TAG_NAME, "body").text
            text = re.sub(r"\S*[/_.@]\S*|\b\w+(?:-\w+)+\b", "", text)  # ids, files, slugs
            left = {w for w in re.findall(r"[A-Za-z]{3,}", text) if w.lower() in english}
            if left:
                found[path] = left
            if path == "/reports":  # the 2020 sample's areas are districts
                assert "Huyện, thị xã, thành phố" in text
    assert not found, found
