"""Keeping a hub's stations right (a real PostgreSQL and hub): areas checked against the ones the
hub knows, a station renamed or moved to another area, removed with or without its rows; the
province report defaults to last month like the station's."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.exc import IntegrityError

from playout.cli import cli
from playout.cli.context import AppContext
from playout.clock import FixedClock, SystemClock
from playout.hub.report import build_province_report
from playout.hub.web.station_view import station_view
from playout.reports.province import ProvinceReport, Totals
from tests.history import sample
from tests.hub_bench import Hub, hub_count, uploader
from tests.pg_bench import PostgresCluster
from tests.test_hub import history, station_db

pytestmark = pytest.mark.slow
NOW = datetime(2020, 9, 5, 3, 0, tzinfo=UTC)


def hub_cli(hub: Hub, *args: str) -> Result:
    obj = AppContext(root=Path("."), clock=FixedClock(NOW))
    return CliRunner().invoke(cli, ["hub", *args, "--db", hub.db_url], obj=obj)


def test_areas_edits_and_removal(hub: Hub, tmp_path: Path) -> None:
    def add(station_id: str, area: str, *extra: str) -> Result:
        return hub_cli(hub, "station", "add", station_id, "--name", station_id, "--area", area,
                       "--province", "Long An", *extra)  # fmt: skip

    assert add("long-an/ben-luc", "Huyện Bến Lức").exit_code == 0
    misspelt = add("long-an/thanh-phu", "Huyen Ben Luc")
    assert misspelt.exit_code == 1
    assert '"Huyện Bến Lức"' in misspelt.output and "--new-area" in misspelt.output
    assert add("long-an/thanh-phu", "Huyện Bến Lức").exit_code == 0
    assert add("long-an/my-yen", "Xã Mỹ Yên").exit_code == 0  # a new area: no look-alike
    # renamed, and moved to the commune formed in 2025
    edited = hub_cli(hub, "station", "edit", "long-an/thanh-phu", "--name", "Đài xã Thạnh Phú",
                     "--area", "Xã Mỹ Yên")  # fmt: skip
    assert edited.exit_code == 0, edited.output
    assert (
        hub_cli(hub, "station", "edit", "long-an/thanh-phu", "--area", "Xa My Yen").exit_code == 1
    )
    listing = hub_cli(hub, "station", "list").output
    assert "Đài xã Thạnh Phú" in listing and "never" in listing
    # removed: at once without rows; refused with rows unless they are kept
    assert hub_cli(hub, "station", "remove", "long-an/my-yen").exit_code == 0
    assert "long-an/my-yen" not in hub_cli(hub, "station", "list").output
    token = hub_cli(hub, "station", "rotate", "long-an/ben-luc").output.splitlines()[1]
    db = station_db(tmp_path, "ben-luc")
    history(db, sample(), "long-an/ben-luc", date(2020, 8, 1), date(2020, 8, 3))
    assert uploader(hub.url, token, "long-an/ben-luc").run(db, SystemClock()).ok
    sent = hub_count(hub.engine, "airings", "long-an/ben-luc")
    refused = hub_cli(hub, "station", "remove", "long-an/ben-luc")
    assert refused.exit_code == 1 and "--keep-rows" in refused.output
    kept = hub_cli(hub, "station", "remove", "long-an/ben-luc", "--keep-rows")
    assert kept.exit_code == 0 and "stay for the reports" in kept.output
    assert hub_count(hub.engine, "airings", "long-an/ben-luc") == sent
    assert not uploader(hub.url, token, "long-an/ben-luc").run(db, SystemClock()).ok  # token off
    assert "removed" in hub_cli(hub, "station", "list").output
    # the report of the month it sent still has it; the default month is last month
    out = tmp_path / "r.csv"
    report = hub_cli(hub, "report", "--format", "csv", "--out", str(out))
    assert report.exit_code == 0, report.output
    assert "Tháng 8 năm 2020" in out.read_text(encoding="utf-8-sig")
    assert "long-an/ben-luc" in out.read_text(encoding="utf-8-sig")


def _totals(report: ProvinceReport) -> dict[str, tuple[int, int, int]]:
    """(planned, completed, airtime) per station of a province report."""
    out = {}
    for s in report.stations:
        t = Totals()
        for f in s.campaigns:
            t.add(f)
        out[s.station_id] = (t.counts.planned, t.counts.completed, t.counts.played_ms)
    return out


def _add(*pairs: tuple[int, int, int]) -> tuple[int, int, int]:
    return (sum(p[0] for p in pairs), sum(p[1] for p in pairs), sum(p[2] for p in pairs))


def test_stations_merged_into_a_new_commune_and_the_province_renamed(
    hub: Hub, tmp_path: Path
) -> None:
    """Two commune stations merged into the new commune's station on 02/08: the month's report
    credits their rows from that day to the new station (a day both aired is one day of it),
    keeps their 01/08 as theirs, and a report of 01/08 alone shows them as they were; their
    tokens stop. The province renamed from 01/07/2025 is named so in reports from then."""
    tokens = {}
    for sid, area in (("tay-ninh/a", "Xã An"), ("tay-ninh/b", "Xã Bình"), ("tay-ninh/c", "Xã Mới")):
        made = hub_cli(hub, "station", "add", sid, "--name", sid, "--area", area, "--province",
                       "Long An", "--new-area")  # fmt: skip
        assert made.exit_code == 0, made.output
        tokens[sid] = made.output.splitlines()[1]
    dbs = {}
    for sid in ("tay-ninh/a", "tay-ninh/b"):
        dbs[sid] = station_db(tmp_path, sid.split("/")[1])
        history(dbs[sid], sample(), sid, date(2020, 8, 1), date(2020, 8, 3))
        assert uploader(hub.url, tokens[sid], sid).run(dbs[sid], SystemClock()).ok

    def totals(first: date, last: date) -> dict[str, tuple[int, int, int]]:
        return _totals(build_province_report(hub.engine, first, last, issued=date(2020, 9, 5)))

    day1 = totals(date(2020, 8, 1), date(2020, 8, 1))
    later = totals(date(2020, 8, 2), date(2020, 8, 3))
    assert later["tay-ninh/a"][1] > 0 and later["tay-ninh/b"][1] > 0
    merged = hub_cli(hub, "station", "merge", "tay-ninh/a", "tay-ninh/b", "--into", "tay-ninh/c",
                     "--on", "02/08/2020")  # fmt: skip
    assert merged.exit_code == 0, merged.output
    assert "from 02/08/2020" in merged.output
    month = build_province_report(hub.engine, date(2020, 8, 1), date(2020, 8, 31),
                                  issued=date(2020, 9, 5))  # fmt: skip
    assert _totals(month) == {
        "tay-ninh/a": day1["tay-ninh/a"],
        "tay-ninh/b": day1["tay-ninh/b"],
        "tay-ninh/c": _add(later["tay-ninh/a"], later["tay-ninh/b"]),
    }
    new = next(s for s in month.stations if s.station_id == "tay-ninh/c")
    assert new.campaigns and all(f.days_aired <= 2 for f in new.campaigns)
    assert totals(date(2020, 8, 1), date(2020, 8, 1)) == day1  # before the merge: as it was
    # the new station's page charts the old stations' days from the merge on, as the report
    view = station_view(hub.engine, "tay-ninh/c", datetime(2020, 8, 3, 12, tzinfo=UTC),
                        timedelta(minutes=20))  # fmt: skip
    assert view is not None
    charted = sum(aired for days in view.month.values() for aired, _ in days)
    assert charted == later["tay-ninh/a"][1] + later["tay-ninh/b"][1] > 0
    assert all(days[0] == (0, 0) for days in view.month.values())  # 01/08 stays the old ones'
    # the old stations' tokens stop; the list says where they went
    stopped = uploader(hub.url, tokens["tay-ninh/a"], "tay-ninh/a")
    assert not stopped.run(dbs["tay-ninh/a"], SystemClock()).ok
    listing = hub_cli(hub, "station", "list").output
    assert "merged into tay-ninh/c from 02/08/2020" in listing
    again = hub_cli(hub, "station", "merge", "tay-ninh/a", "--into", "tay-ninh/c")
    assert again.exit_code == 1 and "already merged into tay-ninh/c" in again.output
    unknown = hub_cli(hub, "station", "merge", "tay-ninh/b", "--into", "tay-ninh/cc")
    assert unknown.exit_code == 1 and "playout hub station add tay-ninh/cc" in unknown.output
    # the province's name: Long An until the merge of provinces, Tây Ninh from 01/07/2025
    renamed = hub_cli(hub, "province", "name", "Tây Ninh", "--from", "01/07/2025")
    assert renamed.exit_code == 0, renamed.output
    assert "Tây Ninh" in hub_cli(hub, "province", "names").output
    assert month.province == "Long An"
    july = build_province_report(hub.engine, date(2025, 7, 1), date(2025, 7, 31),
                                 issued=date(2025, 8, 1))  # fmt: skip
    assert july.province == "Tây Ninh"
    assert build_province_report(hub.engine, date(2020, 8, 1), date(2020, 8, 31),
                                 issued=date(2020, 9, 5)).province == "Long An"  # fmt: skip


def test_a_2020_hub_database_upgrades_districts_to_areas(pg: PostgresCluster) -> None:
    """A hub made before areas (revision 0009: a district column, role ``district``, bundles sent
    to ``district:NAME``) upgrades with every name kept: the district user still sees its
    stations, its bundle still reaches them, and the province report groups by the same names."""
    from argon2 import PasswordHasher
    from sqlalchemy import text

    from playout.hub.bundles import audience_matches
    from playout.hub.db import engine_for, migrate
    from playout.hub.users import Role, authenticate, list_users

    url = pg.new_database()
    engine = engine_for(url)
    try:
        migrate(engine, "0009")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO stations (id, name, district, province, timezone, token_hash,"
                    " token_set_at, created_at) VALUES ('long-an/ben-luc', 'Đài Bến Lức',"
                    " 'Huyện Bến Lức', 'Long An', 'Asia/Ho_Chi_Minh', 'x', now(), now())"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO users (name, password_hash, role, district, created_at)"
                    " VALUES ('benluc', :h, 'district', 'Huyện Bến Lức', now())"
                ),
                {"h": PasswordHasher().hash("mật khẩu dài đủ")},
            )
            conn.execute(
                text(
                    "INSERT INTO bundles (name, version, audience, manifest, published_at,"
                    " published_by) VALUES ('bluezone', 1, 'district:Huyện Bến Lức', '{}', now(),"
                    " 'tinh')"
                )
            )
        assert migrate(engine, "head") == ("0009", "0011")
        assert [u.role for u in list_users(engine)] == ["area:Huyện Bến Lức"]
        user = authenticate(engine, "benluc", "mật khẩu dài đủ", NOW).user
        assert user is not None and user.role is Role.AREA and user.area == "Huyện Bến Lức"
        assert user.sees("Huyện Bến Lức") and not user.sees("Huyện Đức Hòa")
        with engine.connect() as conn:
            audience = conn.execute(text("SELECT audience FROM bundles")).scalar_one()
            area = conn.execute(text("SELECT area FROM stations")).scalar_one()
        assert audience == "area:Huyện Bến Lức" and area == "Huyện Bến Lức"
        assert audience_matches(audience, "long-an/ben-luc", area)
        report = build_province_report(
            engine, date(2020, 8, 1), date(2020, 8, 31), issued=date(2020, 9, 5)
        )
        assert [s.area for s in report.stations] == ["Huyện Bến Lức"]
        with engine.begin() as conn, pytest.raises(IntegrityError):  # the role's checks hold
            conn.execute(
                text(
                    "INSERT INTO users (name, password_hash, role, area, created_at)"
                    " VALUES ('x', 'h', 'district', 'Huyện Bến Lức', now())"
                )
            )
    finally:
        engine.dispose()
