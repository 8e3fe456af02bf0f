"""``playout hub user``: the people who log in to the dashboard."""

from __future__ import annotations

import sys

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.hub import F, db_option, hub_engine
from playout.cli.output import print_table


@click.group("user")
def command() -> None:
    """Dashboard users: the province sees every station, an area only its own."""


def password_option(func: F) -> F:
    return click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from the first line of standard input (for scripts) instead "
        "of asking for it.",
    )(func)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("password", hide_input=True, confirmation_prompt=True))


@command.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    metavar="province|area:NAME",
    help="province (every station), or area:<name> (that area's stations only).",
)
@password_option
@db_option
@pass_app
def add(app: AppContext, name: str, role: str, password_stdin: bool, db_url: str) -> None:
    """Make a user NAME who logs in with a password (asked twice)."""
    from playout.hub.users import add_user, parse_role

    parse_role(role)  # a wrong role is said before the password is asked
    engine = hub_engine(db_url)
    try:
        user = add_user(engine, name, _password(password_stdin), role, app.clock.now())
    finally:
        engine.dispose()
    click.echo(f"user {user.name} ({user.label}) can now log in to the dashboard")


@command.command("password")
@click.argument("name")
@password_option
@db_option
def password(name: str, password_stdin: bool, db_url: str) -> None:
    """Give NAME a new password (ends its sessions, lifts a lock after failed logins)."""
    from playout.hub.users import set_password

    engine = hub_engine(db_url)
    try:
        set_password(engine, name, _password(password_stdin))
    finally:
        engine.dispose()
    click.echo(f"user {name}: password changed")


@command.command("remove")
@click.argument("name")
@db_option
def remove(name: str, db_url: str) -> None:
    """Remove NAME (its sessions end at once)."""
    from playout.hub.users import remove_user

    engine = hub_engine(db_url)
    try:
        remove_user(engine, name)
    finally:
        engine.dispose()
    click.echo(f"user {name} removed")


@command.command("list")
@db_option
def list_(db_url: str) -> None:
    """Every user with its role, last login and failed logins."""
    from playout.hub.users import list_users

    engine = hub_engine(db_url)
    try:
        found = list_users(engine)
    finally:
        engine.dispose()
    if not found:
        click.echo("no users yet: playout hub user add NAME --role province")
        return
    print_table(
        "dashboard users",
        ["user", "role", "last login", "failed logins", "locked until"],
        [
            [
                u.name,
                u.role,
                f"{u.last_login:%d/%m/%Y %H:%M}" if u.last_login else "never",
                str(u.failed_logins),
                f"{u.locked_until:%d/%m/%Y %H:%M:%S}" if u.locked_until else "",
            ]
            for u in found
        ],
    )
