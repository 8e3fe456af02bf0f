"""``playout pause`` / ``playout resume``: hold scheduled spots during a live relay."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.control import ask
from playout.i18n import msg
from playout.problems import PlayoutError
from playout.schedule.loader import read_station
from playout.schedule.types import parse_time


@click.command("pause")
@click.option("--until", "until", required=True, metavar="HH:MM", help="When spots air again.")
@pass_app
def command(app: AppContext, until: str) -> None:
    """Hold scheduled spots until HH:MM; those that fall in the pause are logged skipped."""
    station = read_station(app.root)
    if station is None:
        raise PlayoutError(msg("no station is defined here"))
    try:
        end = parse_time(until)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--until") from exc
    now = app.clock.now().astimezone(station.tz)
    when = datetime.combine(now.date(), end, tzinfo=station.tz)
    if when <= now:
        when += timedelta(days=1)
    ask(app, "pause", {"until": when.isoformat()})
    click.echo(app.words(msg("paused until {until}", until=f"{when:%H:%M}")))


@click.command("resume")
@pass_app
def resume(app: AppContext) -> None:
    """End a pause now."""
    ask(app, "resume")
    click.echo(app.words(msg("resumed")))
