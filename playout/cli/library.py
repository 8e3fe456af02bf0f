"""``playout library``: import clips, list the catalog, check the clips the schedule uses."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.control import ask
from playout.daemon.control import NoAnswer
from playout.i18n import Text, Words, msg
from playout.library.outcome import ImportStatus, rejected, said
from playout.library.paths import AUDIO_DIR
from playout.priority import give_way
from playout.problems import HINT, PlayoutError
from playout.schedule.values import SCHEDULES_DIR, format_duration

IMPORT_TIMEOUT_S = 3 * 3600.0  # a daemon importing a long clip answers when it is done


@click.group("library")
def command() -> None:
    """The audio library: import clips, list the catalog, check clips."""


@command.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--into",
    default="",
    metavar="FOLDER",
    help=f"Folder inside {AUDIO_DIR}/ for the playout copies (e.g. bluezone).",
)
@click.option("--title", help="Title of the clip (default: the file name).")
@pass_app
def import_(app: AppContext, files: tuple[Path, ...], into: str, title: str | None) -> None:
    """Check, trim, normalise and catalog audio FILES (MP3, WAV, M4A, ...).

    The originals are never modified; the playout copies are written to audio/FOLDER.
    """
    if app.db is None and not (app.root / SCHEDULES_DIR).is_dir():  # ./audio/, a stray catalog
        raise PlayoutError(
            msg(
                "{root} is not a station folder (it has no {folder}/ folder)",
                root=str(app.root.resolve()),
                folder=SCHEDULES_DIR,
            ),
            msg(
                "run the import in the station folder (or name it: playout --dir FOLDER library "
                "import ...); a new station starts with playout init"
            ),
        )
    say = app.words
    refused = 0
    with contextlib.ExitStack() as stack:
        importer: Importer | None = _DaemonImporter(app)  # it has every library loaded
        progress = stack.enter_context(_progress(len(files)))
        for source in files:
            progress(source.name)
            record = importer(source, into, title) if importer is not None else None
            if record is None:  # no daemon (or it stopped, or it cannot): import here
                importer = stack.enter_context(_local_importer(app))
                record = importer(source, into, title)
            assert record is not None
            if record["status"] == ImportStatus.REJECTED:
                refused += 1
                error = said(record, "error")
                click.secho(
                    say(msg("rejected {source}: {error}", source=str(source), error=error)),
                    fg="red",
                )
                if record.get("hint"):
                    click.echo(f"    {say(HINT)}: {say(said(record, 'hint'))}")
            else:
                _report(source, record, say)
    if refused:
        raise PlayoutError(
            msg(
                "{refused} of {n} file(s) rejected; nothing was written for them",
                refused=refused,
                n=len(files),
            )
        )


Importer = Callable[[Path, str, "str | None"], "dict[str, Any] | None"]


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on a terminal when there are several files (``step(name)`` before each);
    rich is loaded only then."""
    if total < 2 or not sys.stderr.isatty():
        yield lambda _name: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("importing", total=total)
        started = False

        def step(name: str) -> None:
            nonlocal started
            if started:
                bar.advance(task)
            started = True
            bar.update(task, description=name)

        yield step


class _DaemonImporter:
    """Imports through the station's running daemon; None once there is none to ask."""

    def __init__(self, app: AppContext) -> None:
        self.app = app
        self.gone = False

    def __call__(self, source: Path, into: str, title: str | None) -> dict[str, Any] | None:
        if self.gone:
            return None
        args = {"source": str(source.absolute()), "into": into, "title": title,
                "root": str(self.app.root.resolve())}  # fmt: skip
        try:
            record: dict[str, Any] = ask(self.app, "import", args, timeout_s=IMPORT_TIMEOUT_S)
        except NoAnswer as exc:  # it may have imported it: not again here, at the same time
            self.gone = True
            return rejected(
                source,
                msg("the daemon took it but did not finish ({error})", error=exc.said),
                msg("run the command again: a file it did import is then reported duplicate"),
            )
        except PlayoutError:  # none running, an older one, one of another folder
            self.gone = True
            return None
        return record


@contextlib.contextmanager
def _local_importer(app: AppContext) -> Iterator[Importer]:
    """Imports in this command, on a thread that gives way to the air (``give_way``: its CPU
    priority, and its ffmpeg processes', stay lowered until it ends with the command)."""
    from concurrent.futures import ThreadPoolExecutor

    from playout.library.catalog import Catalog
    from playout.station_folder import import_file

    with app.database() as db, ThreadPoolExecutor(max_workers=1, initializer=give_way) as pool:
        assert db is not None
        catalog = Catalog(db)

        def run(source: Path, into: str, title: str | None) -> dict[str, Any]:
            now = app.clock.now()
            return pool.submit(
                import_file, app.root, catalog, source, into=into, title=title, now=now
            ).result()

        yield run


def _report(source: Path, record: dict[str, Any], say: Words) -> None:
    length = format_duration(record["duration_ms"] / 1000)
    file = f"{AUDIO_DIR}/{record['file']}"
    if record["status"] == ImportStatus.DUPLICATE:
        when = datetime.fromisoformat(record["imported_at"])
        said = msg(
            "duplicate {source}: same audio as {file} (imported {when})",
            source=str(source),
            file=file,
            when=f"{when:%d/%m/%Y}",
        )
    elif record["status"] == ImportStatus.CATALOGUED:
        said = msg(
            "catalogued {file} in place: already a playout copy ({length}, {lufs} LUFS, "
            "peak {peak} dBTP)",
            file=file,
            length=length,
            lufs=f"{record['loudness_after']:.1f}",
            peak=f"{record['peak_after']:.1f}",
        )
    else:
        said = msg(
            "imported {source} -> {file} ({length}, {before} -> {lufs} LUFS, peak {peak} dBTP, "
            "{trimmed} s of silence trimmed)",
            source=str(source),
            file=file,
            length=length,
            before=f"{record['loudness_before']:.1f}",
            lufs=f"{record['loudness_after']:.1f}",
            peak=f"{record['peak_after']:.1f}",
            trimmed=f"{record['trimmed_ms'] / 1000:.1f}",
        )
    click.echo(say(said))


def _usage(app: AppContext) -> dict[str, list[str]]:
    """Which campaigns use each clip (empty when the schedule does not load)."""
    from playout.schedule import load_schedule

    schedule = load_schedule(app.root).schedule
    used: dict[str, list[str]] = {}
    if schedule is None:
        return used
    for campaign in schedule.campaigns:
        for clip in schedule.campaign_clips(campaign).clips:
            used.setdefault(clip.file, []).append(campaign.id)
    return used


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_app
def list_(app: AppContext, as_json: bool) -> None:
    """The catalog: every clip with its duration, loudness and the campaigns that use it."""
    from playout.cli.output import print_table
    from playout.library.catalog import Catalog

    with app.database() as db:
        assert db is not None
        catalog = Catalog(db)
        rows = catalog.all_current()
        copies = catalog.copies()  # a province bundle's copies of the station's own clips
    by_path = _usage(app)
    used = {
        r.file: sorted({c for f in [r.file, *copies.get(r.sha256, [])] for c in by_path.get(f, [])})
        for r in rows
    }
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "file": r.file,
                        "title": r.title,
                        "sha256": r.sha256,
                        "duration_ms": r.duration_ms,
                        "loudness_before": r.loudness_before,
                        "peak_before": r.peak_before,
                        "loudness": r.loudness_after,
                        "true_peak": r.peak_after,
                        "source": r.source_name,
                        "imported_at": r.imported_at.isoformat(),
                        "campaigns": used.get(r.file, []),
                        "copies": copies.get(r.sha256, []),
                    }
                    for r in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    say = app.words
    headers: list[Text] = [
        msg("File"), msg("Title"), msg("Length"), "LUFS", "dBTP", msg("Campaigns"), msg("Imported")
    ]  # fmt: skip
    print_table(
        say(msg("Catalog: {n} clip(s)", n=len(rows))),
        [say(h) for h in headers],
        [
            [
                "\n".join([r.file, *copies.get(r.sha256, [])]),
                r.title,
                format_duration(r.duration_ms / 1000),
                f"{r.loudness_after:.1f}",
                f"{r.peak_after:.1f}",
                ", ".join(used.get(r.file, [])) or "-",
                f"{r.imported_at:%d/%m/%Y}",
            ]
            for r in rows
        ],
    )


@command.command("check")
@pass_app
def check(app: AppContext) -> None:
    """Every clip the schedule uses exists, decodes, and matches its catalog entry."""
    from playout.library.catalog import Catalog
    from playout.library.verify import verify_clips
    from playout.schedule import load_schedule

    result = load_schedule(app.root)
    if result.schedule is None:
        raise PlayoutError(
            msg("the schedule has errors, so its clips cannot be listed"),
            msg("run playout validate to see them"),
            result.problems,
        )
    schedule = result.schedule
    files = sorted(schedule.clip_files())
    with app.database() as db:
        assert db is not None
        issues = verify_clips(app.root / AUDIO_DIR, files, Catalog(db), schedule.station.library)
    say = app.words
    for issue in issues:
        click.echo(f"{AUDIO_DIR}/{issue.file}: {say(issue.said)}")
        if issue.hint:
            click.echo(f"    {say(HINT)}: {say(issue.hinted)}")
    if issues:
        said = msg("{n} problem(s) in {clips} clip(s)", n=len(issues), clips=len(files))
        click.secho(say(said), fg="red")
        click.get_current_context().exit(1)
    click.secho(say(msg("OK: {n} clip(s) verified against the catalog", n=len(files))), fg="green")
