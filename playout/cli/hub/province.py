"""``playout hub province``: the province's name over time, as its reports print it."""

from __future__ import annotations

from datetime import date

import click

from playout.cli.hub import db_option, hub_engine
from playout.cli.output import print_table
from playout.cli.params import DATE


@click.group("province")
def command() -> None:
    """The province's name in the reports (a province merged or renamed)."""


@command.command("name")
@click.argument("name")
@click.option(
    "--from",
    "since",
    type=DATE,
    required=True,
    help="The first day of the name: reports of periods ending on or after it use it.",
)
@db_option
def name(name: str, since: date, db_url: str) -> None:
    """Set the province's NAME from a day on (e.g. "Tây Ninh" --from 01/07/2025)."""
    from playout.hub.merges import set_province_name

    engine = hub_engine(db_url)
    try:
        set_province_name(engine, name, since)
    finally:
        engine.dispose()
    click.echo(
        f'the province is "{name.strip()}" in reports of periods ending from {since:%d/%m/%Y}'
    )


@command.command("names")
@db_option
def names(db_url: str) -> None:
    """The province's names and the days they start."""
    from playout.hub.merges import province_names_of

    engine = hub_engine(db_url)
    try:
        found = province_names_of(engine)
    finally:
        engine.dispose()
    if not found:
        click.echo(
            "no name set: reports use the province the stations were registered with "
            '(set one: playout hub province name "NAME" --from dd/mm/yyyy)'
        )
        return
    print_table("the province's names", ["from", "name"], [[f"{d:%d/%m/%Y}", n] for d, n in found])
