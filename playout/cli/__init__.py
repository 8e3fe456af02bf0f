"""The ``playout`` command. Each subcommand lives in its own module and only parses and calls.

:class:`PlayoutGroup` is the one place that turns errors meant for operators into messages and
exit codes; ``main`` adds the last guard for Ctrl-C and for bugs.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from playout import __version__
from playout.cli.context import AppContext
from playout.cli.output import print_problems, words
from playout.i18n import LANGUAGES, Words, language_from, msg
from playout.problems import HINT, PlayoutError


class PlayoutGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = COMMANDS.get(cmd_name)
        if found is None:
            return None
        module = importlib.import_module(f"playout.cli.{found[0]}")
        command: click.Command = getattr(module, found[1])
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list in ``--help``, from the table: no command is imported to show it."""
        rows = [(name, help_text) for name, (_, _, help_text) in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PlayoutError as exc:
            print_problems(exc.problems, err=True)
            say = words()
            click.secho(f"playout: {say(exc.said)}", err=True, fg="red")
            if exc.hint:
                click.echo(f"    {say(HINT)}: {say(exc.hinted)}", err=True)
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
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    envvar="PLAYOUT_LANG",
    default=None,
    help="The language of messages: vi (Tiếng Việt, the default) or en.",
)
@click.pass_context
def cli(ctx: click.Context, root: Path, db: Path | None, lang: str | None) -> None:
    """Playout scheduler for district and commune broadcasting stations."""
    if ctx.obj is None:
        ctx.obj = AppContext(root=root)
    ctx.obj.root = root
    if lang is not None:
        ctx.obj.language = lang
    if db is not None:
        ctx.obj.db = db


# name -> (module under playout.cli, attribute, the command's short help). Each command is
# imported only when it runs, so ``playout status`` does not load SQLAlchemy, openpyxl or numpy
# (a test checks the short help against the command's own).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": (
        "validate",
        "command",
        "Check schedules, playlists and their audio; list every problem with file:line.",
    ),
    "plan": (
        "plan",
        "command",
        "Print the airings of a period and a per-day summary of requested vs placed airings.",
    ),
    "library": (
        "library",
        "command",
        "The audio library: import clips, list the catalog, check clips.",
    ),
    "run": (
        "run",
        "command",
        "Air the plan through the sound card and log every airing (stop with Ctrl-C).",
    ),
    "log": (
        "aslog",
        "command",
        "Show the as-run log: what aired, when, for how long, and what did not, with why.",
    ),
    "devices": (
        "devices",
        "command",
        "List libvlc's audio outputs and their devices (for station.audio.output / device).",
    ),
    "report": (
        "report",
        "command",
        "Airings planned and aired per campaign and clip, day by day, with what did not air.",
    ),
    "status": (
        "status",
        "command",
        "On air now, the next airings, level, last reload, today's counts (exit 1: the last "
        "reload failed or something is wrong; exit 3: no daemon).",
    ),
    "reload": (
        "reload",
        "command",
        "Apply edited schedules now (the daemon also does it by itself when files change).",
    ),
    "level": (
        "level",
        "command",
        "Set the alert level; the rest of today is planned again at once.",
    ),
    "announce": (
        "announce",
        "command",
        "Air CLIP (a clip of the library, or an audio file) now or at the next break.",
    ),
    "pause": (
        "pause",
        "command",
        "Hold scheduled spots until HH:MM; those that fall in the pause are logged skipped.",
    ),
    "resume": (
        "pause",
        "resume",
        "End a pause now.",
    ),
    "sync": (
        "sync",
        "command",
        "Upload the rows the hub has not acknowledged, then fetch the province's campaign "
        "bundles (exit 1 when something could not be sent or fetched).",
    ),
    "campaign": (
        "campaign",
        "command",
        "Campaign bundles from the province hub (fetched by playout sync and the daemon).",
    ),
    "doctor": (
        "doctor",
        "command",
        "Check libvlc, ffmpeg, the station folder, the database, the clock, the sound (a 1 s test "
        "tone on the station's output) and the service; exit 1 when something must be fixed.",
    ),
    "init": (
        "init",
        "command",
        "Make a new station folder (default: the current one): a commented schedule that "
        "validates, and empty playlists/ and audio/ folders; asks what the options do not say.",
    ),
    "hub": (
        "hub",
        "command",
        "The province hub: every station's as-run log in one PostgreSQL.",
    ),
}


def main(argv: list[str] | None = None) -> None:
    say = Words(language_from())  # the last guard: --lang may not have been read
    try:
        code = cli.main(args=argv, prog_name="playout", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("playout: " + say(msg("stopped.")), err=True)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("playout: " + say(msg("stopped.")), err=True)
        code = 130
    except Exception as exc:
        if os.environ.get("PLAYOUT_DEBUG"):
            raise
        click.secho(
            "playout: " + say(msg("internal error: {error}", error=repr(exc))), err=True, fg="red"
        )
        click.echo(
            f"    {say(HINT)}: "
            + say(
                msg(
                    "this is a bug in playout; run again with PLAYOUT_DEBUG=1 and report the output"
                )
            ),
            err=True,
        )
        code = 70
    sys.exit(code if isinstance(code, int) else 0)
