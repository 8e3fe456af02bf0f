"""``playout announce``: an urgent announcement, now or at the next break."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.control import ask
from playout.cli.params import DURATION
from playout.i18n import msg


@click.command("announce")
@click.argument("clip")
@click.option("--now", "mode", flag_value="now", help="Interrupt what is on air (emergency).")
@click.option(
    "--next-break",
    "mode",
    flag_value="next-break",
    help="As soon as the output is free (priority).",
)
@click.option("--repeat", type=click.IntRange(1, 20), default=1, show_default=True)
@click.option(
    "--every", type=DURATION, default="10m", show_default=True, help="Time between repeats."
)
@pass_app
def command(app: AppContext, clip: str, mode: str | None, repeat: int, every: timedelta) -> None:
    """Air CLIP (a clip of the library, or an audio file) now or at the next break."""
    if mode is None:
        raise click.UsageError(app.words(msg("say when: --now or --next-break")))
    path = Path(clip)
    target = str(path.resolve()) if path.is_file() else clip
    result = ask(
        app,
        "announce",
        {"clip": target, "mode": mode, "repeat": repeat, "every": int(every.total_seconds())},
    )
    click.echo(app.words(msg("announcement queued: {ids}", ids=", ".join(result["airings"]))))
