"""``playout reload``: check the schedule files again and apply them without going off air."""

from __future__ import annotations

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.control import ask


@click.command("reload")
@pass_app
def command(app: AppContext) -> None:
    """Apply edited schedules now (the daemon also does it by itself when files change)."""
    result = ask(app, "reload")
    if result["ok"]:
        click.secho("reloaded: the new plan applies from now on", fg="green")
        return
    click.secho("the new files have errors; the daemon keeps the last good plan:", fg="red")
    for error in result["errors"]:
        click.echo(error)
    click.get_current_context().exit(1)
