"""Terminal output: rich tables on a terminal, plain aligned text when piped."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

import click

from playout.i18n import Text, Words, language_from, msg
from playout.problems import HINT, SEVERITY_WORDS, Problem


def words() -> Words:
    """The operator's language: the running command's (``--lang``), else PLAYOUT_LANG's."""
    from playout.cli.context import AppContext

    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(AppContext) if ctx is not None else None
    return app.words if app is not None else Words(language_from())


def print_problems(problems: Iterable[Problem], *, err: bool = False) -> None:
    say = words()
    for p in problems:
        colour = "red" if p.is_error else "yellow"
        message, hint = p.words(say)
        click.secho(
            f"{p.location}: {say(SEVERITY_WORDS[p.severity])}: {message}", fg=colour, err=err
        )
        if hint:
            click.echo(f"    {say(HINT)}: {hint}", err=err)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    stream = sys.stdout
    if stream.isatty():
        from rich.console import Console  # only for a terminal
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for h in headers:
            table.add_column(h)
        for row in rows:
            table.add_row(*row)
        Console(file=stream).print(table)
        return
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    click.echo(title)
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    click.echo()


# the states of a province's campaign bundle at the station (sync, campaign)
BUNDLE_STATES: dict[str, Text] = {
    "applied": msg("applied"),
    "waiting": msg("waiting for the operator"),
    "refused": msg("refused"),
    "failed": msg("failed"),
    "declined": msg("declined"),
    "removed": msg("removed"),
}


def bundle_line(say: Words, name: str, version: int, state: str) -> str:
    """``campaign bundle NAME vN: STATE`` in the operator's language (sync, campaign)."""
    said = BUNDLE_STATES.get(state, state)
    return say(
        msg("campaign bundle {name} v{version}: {state}", name=name, version=version, state=said)
    )
