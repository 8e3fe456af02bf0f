"""The ``playout`` command. Each subcommand lives in its own module and only parses and calls.

:class:`PlayoutGroup` is the one place that turns errors meant for operators into messages and
exit codes; ``main`` adds the last guard for Ctrl-C and for bugs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from playout import __version__
from playout.cli.context import AppContext
from playout.cli.output import print_problems
from playout.problems import PlayoutError


class PlayoutGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PlayoutError as exc:
            print_problems(exc.problems, err=True)
            click.secho(f"playout: {exc.message}", err=True, fg="red")
            if exc.hint:
                click.echo(f"    hint: {exc.hint}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=PlayoutGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="playout")
@click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    envvar="PLAYOUT_DIR",
    show_default=True,
    help="The station folder (holds schedules/, playlists/ and audio/).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="PLAYOUT_DB",
    help="The station database (default: station.database, else the user data folder).",
)
@click.pass_context
def cli(ctx: click.Context, root: Path, db: Path | None) -> None:
    """Playout scheduler for district and commune broadcasting stations."""
    if ctx.obj is None:
        ctx.obj = AppContext(root=root)
    ctx.obj.root = root
    if db is not None:
        ctx.obj.db = db


def _register() -> None:
    from playout.cli import (
        announce,
        aslog,
        campaign,
        devices,
        hub,
        level,
        library,
        pause,
        plan,
        reload,
        report,
        run,
        status,
        sync,
        validate,
    )

    for module in (
        validate,
        plan,
        library,
        run,
        aslog,
        devices,
        report,
        status,
        reload,
        level,
        announce,
        pause,
        sync,
        campaign,
        hub,
    ):
        cli.add_command(module.command)
    cli.add_command(pause.resume)


_register()


def main(argv: list[str] | None = None) -> None:
    try:
        code = cli.main(args=argv, prog_name="playout", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("playout: stopped.", err=True)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("playout: stopped.", err=True)
        code = 130
    except Exception as exc:
        if os.environ.get("PLAYOUT_DEBUG"):
            raise
        click.secho(f"playout: internal error: {exc!r}", err=True, fg="red")
        click.echo(
            "    hint: this is a bug in playout; run again with PLAYOUT_DEBUG=1 and report "
            "the output",
            err=True,
        )
        code = 70
    sys.exit(code if isinstance(code, int) else 0)
