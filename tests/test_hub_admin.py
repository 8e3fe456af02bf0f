"""Keeping a hub's stations right (a real PostgreSQL and hub): areas checked against the ones the
hub knows, a station renamed or moved to another area, removed with or without its rows; the
province report defaults to last month like the station's."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from playout.cli import cli
from playout.cli.context import AppContext
from playout.clock import FixedClock, SystemClock
from tests.history import sample
from tests.hub_bench import Hub, hub_count, uploader
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
