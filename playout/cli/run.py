"""``playout run``: the daemon that airs the plan and logs every airing."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from datetime import timedelta, tzinfo
from pathlib import Path

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.output import print_problems
from playout.cli.params import DURATION
from playout.clock import Clock
from playout.daemon.commands import Commands
from playout.daemon.folder import DaemonFolder
from playout.daemon.logsummary import FloodFilter
from playout.daemon.logwords import WordsFormatter
from playout.daemon.service import Daemon
from playout.daemon.timings import Timings
from playout.i18n import Words, msg
from playout.library.catalog import Catalog
from playout.library.paths import AUDIO_DIR
from playout.player import Player, PlayerError
from playout.player.archive import AirSignalArchive
from playout.problems import PlayoutError


def setup_logging(level: str, log_file: Path | None, words: Words) -> FloodFilter:
    """Log to stderr (and a rotated file) in the operator's language; a repeated message is
    summarised, not repeated."""
    fmt = WordsFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", words)
    flood = FloodFilter()
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_file, maxBytes=5_000_000, backupCount=5, encoding="utf-8"
            )
        )
    root = logging.getLogger()
    for h in handlers:
        h.setFormatter(fmt)
        h.addFilter(flood)
        root.addHandler(h)
    root.setLevel(level.upper())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    return flood


def make_player(
    output: str, device: str | None, output_file: Path | None, clock: Clock, tz: tzinfo
) -> Player:
    from playout.player.vlc import VlcPlayer

    options: tuple[str, ...] = ()
    target = None
    if output == "afile":
        target = output_file or Path("on-air.wav")
        target.parent.mkdir(parents=True, exist_ok=True)
        options = (f"--audiofile-file={target}",)
    try:
        player: Player = VlcPlayer(output=output, device=device, options=options)
        # libvlc rewrites the file at every airing: each one is kept in a file of its own
        return AirSignalArchive(player, target, clock, tz) if target is not None else player
    except PlayerError as exc:
        raise PlayoutError(
            str(exc), "check the audio settings (playout devices lists them)"
        ) from exc


@click.command("run")
@click.option(
    "--level", type=click.IntRange(1, 9), default=1, show_default=True, help="Alert level to air."
)
@click.option(
    "--demo",
    is_flag=True,
    help="Move every campaign to a 2-minute session starting in 15 s (try-out).",
)
@click.option("--exit-after", type=DURATION, help="Stop after this long (e.g. 3m).")
@click.option("--output", help="libvlc audio output (default: station.audio.output).")
@click.option("--device", help="Audio device of that output (see playout devices).")
@click.option(
    "--output-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --output afile: the WAV file to write the air signal to.",
)
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also log to this file (rotated at 5 MB, 5 kept).",
)
@click.option(
    "--timings",
    envvar="PLAYOUT_TIMINGS",
    default="",
    metavar="NAME=SECONDS,...",
    help="The daemon's own periods, for tests and tuning (e.g. heartbeat_s=1,handshake_s=2; "
    "names in playout/daemon/timings.py).",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
@pass_app
def command(
    app: AppContext,
    level: int,
    demo: bool,
    exit_after: timedelta | None,
    output: str | None,
    device: str | None,
    output_file: Path | None,
    log_file: Path | None,
    timings: str,
    log_level: str,
) -> None:
    """Air the plan through the sound card and log every airing (stop with Ctrl-C)."""
    try:
        periods = Timings.from_text(timings)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--timings") from exc
    flood = setup_logging(log_level, log_file, app.words)
    with app.database() as db:
        assert db is not None
        folder = DaemonFolder(app.root, Catalog(db), app.clock, demo=demo)
        first = folder.check()
        if first.schedule is None or first.errors:
            raise PlayoutError(
                msg("the schedule has errors, so the daemon cannot start"),
                msg("fix them (playout validate lists them)"),
                first.problems,
            )
        print_problems(first.warnings, err=True)
        loaded = folder.load()
        assert not isinstance(loaded, list)
        schedule, durations, checksums = loaded
        audio = schedule.station.audio
        player = make_player(
            output or audio.output,
            device or audio.device,
            output_file,
            app.clock,
            schedule.station.tz,
        )
        said = msg(
            "audio output {output}; database {database}",
            output=player.output,
            database=str(db.path),
        )
        click.echo("playout: " + app.words(said), err=True)
        daemon = Daemon(
            schedule=schedule,
            durations=durations,
            library=app.root / AUDIO_DIR,
            db=db,
            player=player,
            clock=app.clock,
            checksums=checksums,
            level=level,
            exit_after=exit_after,
            root=app.root,
            loader=folder.load,
            validator=folder.validate,
            importer=folder.import_clip,
            timings=periods,
            flood=flood,
        )
        # the airer waits at most 1 ms for the interpreter when another thread computes (an
        # import the daemon was asked to do): 5 ms by default
        sys.setswitchinterval(0.001)
        try:
            daemon.run(Commands(daemon).handle)
        finally:
            player.close()
