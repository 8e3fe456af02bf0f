"""``playout reload``: check the schedule files again and apply them without going off air."""

from __future__ import annotations

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.control import ask
from playout.cli.output import print_problems
from playout.i18n import msg
from playout.problems import Problem


@click.command("reload")
@pass_app
def command(app: AppContext) -> None:
    """Apply edited schedules now (the daemon also does it by itself when files change)."""
    say = app.words
    result = ask(app, "reload")
    if result["ok"]:
        click.secho(say(msg("reloaded: the new plan applies from now on")), fg="green")
        return
    click.secho(
        say(msg("the new files have errors; the daemon keeps the last good plan:")), fg="red"
    )
    problems = [Problem.from_dict(p) for p in result.get("problems", [])]
    if problems:
        print_problems(problems)
    else:
        for error in result["errors"]:
            click.echo(error)
    click.get_current_context().exit(1)
