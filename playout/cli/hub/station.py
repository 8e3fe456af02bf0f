"""``playout hub station``: register stations, list them, rotate or revoke their tokens."""

from __future__ import annotations

import json

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.hub import db_option, hub_engine
from playout.cli.output import print_table
from playout.schedule.model import DEFAULT_TIMEZONE, STATION_ID_PATTERN


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


@command.command("add")
@click.argument("station_id")
@click.option("--name", required=True, help="The station's name.")
@click.option("--district", default="", help="Its district (for the province report).")
@click.option("--province", default="", help="Its province.")
@click.option("--timezone", default=DEFAULT_TIMEZONE, show_default=True)
@db_option
@pass_app
def add(
    app: AppContext,
    station_id: str,
    name: str,
    district: str,
    province: str,
    timezone: str,
    db_url: str,
) -> None:
    """Register STATION_ID (as in its station file) and print its token once."""
    import re

    from playout.hub.auth import add_station

    if not re.fullmatch(STATION_ID_PATTERN, station_id):
        raise click.BadParameter(
            f'"{station_id}" is not a station id (lower case, digits, -, _, / between parts, '
            'e.g. "long-an/tan-an")',
            param_hint="STATION_ID",
        )
    engine = hub_engine(db_url)
    try:
        token = add_station(
            engine,
            station_id,
            name=name,
            district=district,
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

    engine = hub_engine(db_url)
    try:
        found = list_stations(engine)
    finally:
        engine.dispose()
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in found], ensure_ascii=False, indent=2))
        return
    print_table(
        f"{len(found)} station(s)",
        ["station", "name", "district", "last contact", "state"],
        [
            [
                s.id,
                s.name,
                s.district,
                s.last_contact.strftime("%d/%m/%Y %H:%M") if s.last_contact else "never",
                "revoked" if s.revoked_at else "active",
            ]
            for s in found
        ],
    )


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
