"""``playout library``: import clips, list the catalog, check the clips the schedule uses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress

from playout.cli.context import AppContext, pass_app
from playout.cli.output import print_table
from playout.library import AudioError, ClipPathError
from playout.library.catalog import Catalog, ImportResult, ImportStatus, import_clip, verify_clips
from playout.library.paths import AUDIO_DIR
from playout.problems import PlayoutError
from playout.schedule import load_schedule
from playout.schedule.loader import read_station
from playout.schedule.model import LibrarySettings
from playout.schedule.types import format_duration


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
    station = read_station(app.root)
    settings = station.library if station is not None else LibrarySettings()
    library = app.root / AUDIO_DIR
    rejected = 0
    with app.database() as db:
        assert db is not None
        catalog = Catalog(db)
        show_bar = len(files) > 1 and sys.stderr.isatty()
        bar_console = Console(stderr=True)
        with Progress(console=bar_console, transient=True, disable=not show_bar) as progress:
            task = progress.add_task("importing", total=len(files))
            for source in files:
                progress.update(task, description=source.name)
                try:
                    result = import_clip(
                        catalog,
                        library,
                        source,
                        into=into,
                        title=title,
                        settings=settings,
                        now=app.clock.now(),
                    )
                except (AudioError, ClipPathError) as exc:
                    rejected += 1
                    click.secho(f"rejected {source}: {exc.message}", fg="red")
                    if exc.hint:
                        click.echo(f"    hint: {exc.hint}")
                except Exception as exc:  # noqa: BLE001 - one file's bug never stops the batch
                    rejected += 1
                    click.secho(f"rejected {source}: internal error ({exc!r})", fg="red")
                    click.echo("    hint: this is a bug in playout; please report it with the file")
                else:
                    _report(result)
                progress.advance(task)
    if rejected:
        raise PlayoutError(
            f"{rejected} of {len(files)} file(s) rejected; nothing was written for them"
        )


def _report(result: ImportResult) -> None:
    row = result.clip
    if result.status is ImportStatus.DUPLICATE:
        click.echo(
            f"duplicate {result.source}: same audio as {AUDIO_DIR}/{row.file} "
            f"(imported {row.imported_at:%d/%m/%Y})"
        )
        return
    if result.status is ImportStatus.CATALOGUED:
        click.echo(
            f"catalogued {AUDIO_DIR}/{row.file} in place: already a playout copy "
            f"({format_duration(row.duration_ms / 1000)}, {row.loudness_after:.1f} LUFS, "
            f"peak {row.peak_after:.1f} dBTP)"
        )
        return
    click.echo(
        f"imported {result.source} -> {AUDIO_DIR}/{row.file} "
        f"({format_duration(row.duration_ms / 1000)}, {row.loudness_before:.1f} -> "
        f"{row.loudness_after:.1f} LUFS, peak {row.peak_after:.1f} dBTP, "
        f"{row.trimmed_ms / 1000:.1f} s of silence trimmed)"
    )


def _usage(app: AppContext) -> dict[str, list[str]]:
    """Which campaigns use each clip (empty when the schedule does not load)."""
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
    with app.database() as db:
        assert db is not None
        rows = Catalog(db).all_current()
    used = _usage(app)
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
                    }
                    for r in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    print_table(
        f"Catalog: {len(rows)} clip(s)",
        ["File", "Title", "Length", "LUFS", "dBTP", "Campaigns", "Imported"],
        [
            [
                r.file,
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
    result = load_schedule(app.root)
    if result.schedule is None:
        raise PlayoutError(
            "the schedule has errors, so its clips cannot be listed",
            "run playout validate to see them",
            result.problems,
        )
    schedule = result.schedule
    files = sorted(schedule.clip_files())
    with app.database() as db:
        assert db is not None
        issues = verify_clips(app.root / AUDIO_DIR, files, Catalog(db), schedule.station.library)
    for issue in issues:
        click.echo(f"{AUDIO_DIR}/{issue.file}: {issue.message}")
        if issue.hint:
            click.echo(f"    hint: {issue.hint}")
    if issues:
        click.secho(f"{len(issues)} problem(s) in {len(files)} clip(s)", fg="red")
        click.get_current_context().exit(1)
    click.secho(f"OK: {len(files)} clip(s) verified against the catalog", fg="green")
