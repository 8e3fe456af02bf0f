"""Terminal output: rich tables on a terminal, plain aligned text when piped."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

import click

from playout.problems import Problem


def print_problems(problems: Iterable[Problem], *, err: bool = False) -> None:
    for p in problems:
        colour = "red" if p.is_error else "yellow"
        click.secho(f"{p.location}: {p.severity.value}: {p.message}", fg=colour, err=err)
        if p.hint:
            click.echo(f"    hint: {p.hint}", err=err)


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
