"""``playout hub``: the province hub (database, server, stations, province report).

The hub's packages are an extra (``pip install 'playout[hub]'``); they are imported only when a
hub command runs, so a station without them still has every other command.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from playout.problems import PlayoutError

if TYPE_CHECKING:
    from sqlalchemy import Engine

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    return click.option(
        "--db",
        "db_url",
        envvar="PLAYOUT_HUB_DB",
        required=True,
        metavar="URL",
        help="The hub's PostgreSQL, e.g. postgresql://playout@/playout?host=/run/postgresql "
        "(or PLAYOUT_HUB_DB).",
    )(func)


HUB_PACKAGES = ("alembic", "argon2", "fastapi", "itsdangerous", "psycopg", "uvicorn")


def require_hub_packages() -> None:
    """The hub's extra is installed, or a message that says how to install it."""
    missing = [name for name in HUB_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise PlayoutError(
            f"the hub's packages are not installed ({', '.join(missing)} missing)",
            "install them: pip install 'playout[hub]' (./dev setup does it)",
        )


def hub_engine(url: str, *, checked: bool = True, pool_size: int = 2) -> Engine:
    """An engine on the hub database; refused when the schema is not this code's."""
    require_hub_packages()
    from playout.hub.db import check_schema, engine_for

    engine = engine_for(url, pool_size=pool_size, max_overflow=0)
    if checked:
        check_schema(engine)
    return engine


@click.group("hub")
def command() -> None:
    """The province hub: every station's as-run log in one PostgreSQL."""


def _register() -> None:
    from playout.cli.hub import campaign, init, province, report, serve, station, user

    for module in (init, serve, station, user, campaign, province, report):
        command.add_command(module.command)


_register()
