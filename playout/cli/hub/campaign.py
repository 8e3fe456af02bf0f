"""``playout hub campaign``: publish campaign bundles to the stations, list them, withdraw them."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.hub import db_option, hub_engine
from playout.cli.output import print_problems, print_table


@click.group("campaign")
def command() -> None:
    """Campaigns the province sends to every station (see docs/province/campaigns.md)."""


@command.command("publish")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--to",
    "audience",
    required=True,
    metavar="all|area:NAME|station:ID",
    help="Which stations get it: all, area:NAME (a commune or ward; a district before 2025; "
    "district:NAME also works) or station:ID.",
)
@click.option("--name", help="The bundle's name (default: the folder's name).")
@click.option("--by", "by", help="Published by (default: the OS user).")
@db_option
@pass_app
def publish(
    app: AppContext, folder: Path, audience: str, name: str | None, by: str | None, db_url: str
) -> None:
    """Check the bundle in FOLDER as the stations will, normalise its clips and publish it as
    a new version."""
    from playout.hub.bundle_check import check_bundle
    from playout.hub.bundles import parse_audience
    from playout.hub.bundles import publish as store
    from playout.problems import PlayoutError

    engine = hub_engine(db_url)
    try:
        audience = parse_audience(engine, audience)
        checked = check_bundle(folder)
        try:
            print_problems(checked.problems, err=True)
            if checked.errors:
                raise PlayoutError(
                    f"the bundle has {len(checked.errors)} error(s); nothing was published",
                    "correct them and publish again",
                )
            done = store(
                engine,
                checked,
                name or folder.resolve().name.lower(),
                audience,
                by if by is not None else getpass.getuser(),
                app.clock.now(),
            )
        finally:
            if checked.workdir is not None:
                checked.workdir.cleanup()
    finally:
        engine.dispose()
    if done.unchanged:
        click.echo(f"{done.name}: unchanged, still version {done.version} for {done.audience}")
    else:
        click.echo(
            f"{done.name}: version {done.version} published for {done.audience} "
            f"({done.files} file(s), {done.new_blobs} new)"
        )


@command.command("list")
@db_option
def list_(db_url: str) -> None:
    """Every bundle's newest version and what the stations did with it."""
    from playout.hub.bundles import list_bundles

    engine = hub_engine(db_url)
    try:
        found = list_bundles(engine)
    finally:
        engine.dispose()
    if not found:
        click.echo("no bundles yet: playout hub campaign publish FOLDER --to all")
        return
    print_table(
        f"{len(found)} bundle(s)",
        ["bundle", "version", "to", "published", "files", "stations"],
        [
            [
                b.name + (" (withdrawn)" if b.withdrawn_at else ""),
                str(b.version),
                b.audience,
                f"{b.published_at:%d/%m/%Y %H:%M} {b.published_by}",
                f"{b.files} ({b.size / 1e6:.1f} MB)",
                ", ".join(f"{k}: {v}" for k, v in sorted(b.states.items())) or "none yet",
            ]
            for b in found
        ],
    )


@command.command("withdraw")
@click.argument("name")
@db_option
@pass_app
def withdraw(app: AppContext, name: str, db_url: str) -> None:
    """Withdraw bundle NAME: at their next sync, stations remove its campaigns (clips stay)."""
    from playout.hub.bundles import withdraw as stop

    engine = hub_engine(db_url)
    try:
        n = stop(engine, name, app.clock.now())
    finally:
        engine.dispose()
    click.echo(f"{name}: withdrawn" if n else f"{name}: was withdrawn already")
