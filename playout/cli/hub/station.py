"""``playout hub station``: register stations, list, edit, merge or remove them, rotate or revoke
their tokens."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.hub import db_option, hub_engine
from playout.cli.output import print_table
from playout.cli.params import DATE
from playout.schedule.model import DEFAULT_TIMEZONE, STATION_ID_PATTERN

if TYPE_CHECKING:
    from playout.hub.merges import Merge


@click.group("station")
def command() -> None:
    """The stations that upload to this hub."""


def _show_token(station_id: str, token: str) -> None:
    click.echo(f"token for {station_id} (shown only this once; the hub keeps only a hash):")
    click.echo(token)
    click.echo(
        "put it in the station's token file (station.hub.token_file), then chmod 600 that file",
        err=True,
    )


AREA_HELP = "Its area of the province: a commune or ward (a district in data before 2025)."


@command.command("add")
@click.argument("station_id")
@click.option("--name", required=True, help="The station's name.")
@click.option("--area", "--district", "area", default="", help=AREA_HELP)
@click.option("--new-area", is_flag=True, help="The area is new, though one nearly like it exists.")
@click.option("--province", default="", help="Its province.")
@click.option("--timezone", default=DEFAULT_TIMEZONE, show_default=True)
@db_option
@pass_app
def add(
    app: AppContext,
    station_id: str,
    name: str,
    area: str,
    new_area: bool,
    province: str,
    timezone: str,
    db_url: str,
) -> None:
    """Register STATION_ID (as in its station file) and print its token once."""
    import re

    from playout.hub.auth import add_station
    from playout.hub.station_admin import check_area

    if not re.fullmatch(STATION_ID_PATTERN, station_id):
        raise click.BadParameter(
            f'"{station_id}" is not a station id (lower case, digits, -, _, / between parts, '
            'e.g. "long-an/tan-an")',
            param_hint="STATION_ID",
        )
    engine = hub_engine(db_url)
    try:
        check_area(engine, area.strip(), new_area=new_area)
        token = add_station(
            engine,
            station_id,
            name=name,
            area=area.strip(),
            province=province,
            timezone=timezone,
            now=app.clock.now(),
        )
    finally:
        engine.dispose()
    _show_token(station_id, token)


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@db_option
def list_(as_json: bool, db_url: str) -> None:
    """Every station with its last contact."""
    from playout.hub.auth import list_stations
    from playout.hub.merges import merges

    engine = hub_engine(db_url)
    try:
        found = list_stations(engine)
        with engine.connect() as conn:
            merged = merges(conn)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in found], ensure_ascii=False, indent=2))
        return
    print_table(
        f"{len(found)} station(s)",
        ["station", "name", "area", "last contact", "state"],
        [
            [
                s.id,
                s.name,
                s.area,
                _local(s.last_contact, s.timezone),
                _state(
                    s.id, merged, removed=s.removed_at is not None, revoked=s.revoked_at is not None
                ),
            ]
            for s in found
        ],
    )


def _state(station_id: str, merged: dict[str, Merge], *, removed: bool, revoked: bool) -> str:
    if station_id in merged:
        m = merged[station_id]
        return f"merged into {m.new_id} from {m.merged_on:%d/%m/%Y}"
    return "removed" if removed else "revoked" if revoked else "active"


def _local(when: datetime | None, zone: str) -> str:
    """A time in the station's own zone, the zone named (never the machine's UTC)."""
    if when is None:
        return "never"
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo(DEFAULT_TIMEZONE)
    return f"{when.astimezone(tz):%d/%m/%Y %H:%M} ({tz.key})"


@command.command("edit")
@click.argument("station_id")
@click.option("--name", help="Its new name.")
@click.option("--area", help=AREA_HELP)
@click.option("--new-area", is_flag=True, help="The area is new, though one nearly like it exists.")
@db_option
def edit(station_id: str, name: str | None, area: str | None, new_area: bool, db_url: str) -> None:
    """Change STATION_ID's name or area (its rows and token stay)."""
    from playout.hub.station_admin import edit_station

    engine = hub_engine(db_url)
    try:
        edit_station(engine, station_id, name=name, area=area, new_area=new_area)
    finally:
        engine.dispose()
    click.echo(f"station {station_id} changed")


@command.command("remove")
@click.argument("station_id")
@click.option(
    "--keep-rows",
    is_flag=True,
    help="Remove a station that has sent rows: they stay for the reports of past months.",
)
@db_option
@pass_app
def remove(app: AppContext, station_id: str, keep_rows: bool, db_url: str) -> None:
    """Remove STATION_ID from the hub (refused while it has sent rows, unless --keep-rows)."""
    from playout.hub.station_admin import remove_station

    engine = hub_engine(db_url)
    try:
        done = remove_station(engine, station_id, keep_rows=keep_rows, now=app.clock.now())
    finally:
        engine.dispose()
    click.echo(done)


@command.command("merge")
@click.argument("old_ids", nargs=-1, required=True, metavar="OLD...")
@click.option("--into", "into", required=True, metavar="NEW", help="The station they form.")
@click.option(
    "--on",
    "day",
    type=DATE,
    help="The first day their rows count for NEW (default: today, in Asia/Ho_Chi_Minh).",
)
@db_option
@pass_app
def merge(
    app: AppContext, old_ids: tuple[str, ...], into: str, day: date | None, db_url: str
) -> None:
    """Merge the stations OLD... into NEW (a new commune's station formed from the old ones):
    their tokens stop, their rows stay; reports credit their rows from the merge on to NEW and
    show them as they were before it."""
    from playout.hub.merges import merge_stations

    now = app.clock.now()
    on = day or now.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date()
    engine = hub_engine(db_url)
    try:
        done = merge_stations(engine, list(old_ids), into, on=on, now=now)
    finally:
        engine.dispose()
    for line in done:
        click.echo(line)


@command.command("rotate")
@click.argument("station_id")
@db_option
@pass_app
def rotate(app: AppContext, station_id: str, db_url: str) -> None:
    """Give STATION_ID a new token; the old one stops working at once."""
    from playout.hub.auth import rotate_token

    engine = hub_engine(db_url)
    try:
        token = rotate_token(engine, station_id, app.clock.now())
    finally:
        engine.dispose()
    _show_token(station_id, token)


@command.command("revoke")
@click.argument("station_id")
@db_option
@pass_app
def revoke(app: AppContext, station_id: str, db_url: str) -> None:
    """Stop STATION_ID's token (its rows stay; 'rotate' gives it a new one)."""
    from playout.hub.auth import revoke as revoke_token

    engine = hub_engine(db_url)
    try:
        revoke_token(engine, station_id, app.clock.now())
    finally:
        engine.dispose()
    click.echo(f"station {station_id}: token revoked")
