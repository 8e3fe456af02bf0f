"""``playout level N``: raise or lower the station's alert level."""

from __future__ import annotations

from datetime import datetime

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.control import ask
from playout.i18n import msg
from playout.schedule.loader import read_station
from playout.schedule.types import parse_date, parse_time


@click.command("level")
@click.argument("level", type=click.IntRange(1, 9))
@click.option("--until", metavar="'DD/MM/YYYY HH:MM'", help="When the level falls back to 1.")
@click.option("--reason", default="", help="Why (kept in the log).")
@pass_app
def command(app: AppContext, level: int, until: str | None, reason: str) -> None:
    """Set the alert level; the rest of today is planned again at once."""
    when = None
    if until:
        station = read_station(app.root)
        tz = station.tz if station else None
        try:
            day_text, time_text = until.split()
            when = datetime.combine(parse_date(day_text), parse_time(time_text), tzinfo=tz)
        except ValueError as exc:
            said = msg('"{until}": write it as "dd/mm/yyyy HH:MM"', until=until)
            raise click.BadParameter(f"{app.words(said)} ({exc})", param_hint="--until") from exc
    result = ask(
        app,
        "level",
        {"level": level, "until": when.isoformat() if when else None, "reason": reason},
    )
    said = msg("alert level {level}", level=result["level"])
    click.echo(app.words(msg("{level} until {until}", level=said, until=until) if until else said))
