"""``playout init [FOLDER]``: a new station folder with a commented schedule that validates."""

from __future__ import annotations

import re
from pathlib import Path

import click

from playout.cli.context import AppContext, pass_app
from playout.i18n import Words, msg
from playout.problems import PlayoutError

SESSION = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_sessions(text: str) -> dict[str, tuple[str, str]]:
    """``05:30-06:30, 16:30-17:30`` -> {morning: (05:30, 06:30), afternoon: (16:30, 17:30)}."""
    out: dict[str, tuple[str, str]] = {}
    for part in [p for p in text.split(",") if p.strip()]:
        found = SESSION.match(part)
        if found is None:
            raise PlayoutError(
                msg('"{part}" is not a session', part=part.strip()),
                msg('write sessions as "05:30-06:30, 16:30-17:30"'),
            )
        h1, m1, h2, m2 = (int(x) for x in found.groups())
        if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2):
            raise PlayoutError(
                msg('"{part}": a session starts before it ends, within one day', part=part.strip()),
                msg("times are 24-hour HH:MM"),
            )
        base = (
            "morning" if h1 < 10 else "noon" if h1 < 14 else "afternoon" if h1 < 18 else "evening"
        )
        name, n = base, 2
        while name in out:
            name, n = f"{base}-{n}", n + 1
        out[name] = (f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}")
    if not out:
        raise PlayoutError(msg("a station needs at least one session"), msg('e.g. "05:30-06:30"'))
    return out


def station_yaml(
    station_id: str,
    name: str,
    area: str,
    province: str,
    sessions: dict[str, tuple[str, str]],
    say: Words | None = None,
) -> str:
    say = say or Words("en")

    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        "# "
        + say(
            msg(
                "{name}: the station's schedule (made by playout init; every key is in "
                "docs/operator/station-folder.md).",
                name=name,
            )
        ),
        "# "
        + say(msg("Dates are dd/mm/yyyy; times are 24-hour HH:MM in the station's time zone.")),
        "station:",
        f"  id: {station_id}",
        f"  name: {quoted(name)}",
    ]
    if area:
        lines.append(f"  area: {quoted(area)}")
    if province:
        lines.append(f"  province: {quoted(province)}")
    lines += [
        "  timezone: Asia/Ho_Chi_Minh",
        "  database: var/playout.db                  # "
        + say(msg("the catalog and the as-run log (SQLite)")),
        "  # fallback_clip: station/nhac-hieu.wav    # "
        + say(msg("airs when a scheduled clip is broken")),
        "  # hub: {url: https://hub.example.vn, token_file: hub.token}   # "
        + say(msg("the province hub")),
        "",
        "sessions:                                   # " + say(msg("broadcast sessions")),
    ]
    width = max(len(n) for n in sessions)
    for n, (start, end) in sessions.items():
        lines.append(f'  {n + ":":{width + 1}} {{start: "{start}", end: "{end}"}}')
    lines += [
        "",
        "blackouts: []                               # "
        + say(msg("fixed programmes, never interrupted:")),
        '#  - {start: "06:00", end: "06:30", label: "Tiếp sóng VOV"}',
        "",
        "campaigns: []                               # " + say(msg("what to air; for example:")),
        "#  - id: bluezone",
        '#    title: "Cài đặt ứng dụng Bluezone"',
        "#    playlist: bluezone                     # playlists/bluezone.yaml",
        "#    from: 05/08/2020",
        "#    per_day: 2",
        "",
    ]
    return "\n".join(lines)


@click.command("init")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--id", "station_id", help="The station id, e.g. long-an/tan-an.")
@click.option("--name", help="The station's name.")
@click.option(
    "--area", "--district", "area", help="Its area: a commune or ward (a district before 2025)."
)
@click.option("--province", help="Its province.")
@click.option("--sessions", help='Its broadcast sessions, e.g. "05:30-06:30, 16:30-17:30".')
@pass_app
def command(
    app: AppContext,
    folder: Path | None,
    station_id: str | None,
    name: str | None,
    area: str | None,
    province: str | None,
    sessions: str | None,
) -> None:
    """Make a new station folder (default: the current one): a commented schedule that
    validates, and empty playlists/ and audio/ folders; asks what the options do not say."""
    from playout.schedule.model import STATION_ID_PATTERN
    from playout.station_folder import load_station

    root = folder or app.root
    existing = sorted((root / "schedules").glob("*.y*ml")) if (root / "schedules").is_dir() else []
    if existing:
        raise PlayoutError(
            msg(
                "{root} already has a schedule ({file}); nothing was written",
                root=str(root),
                file=existing[0].name,
            ),
            msg("run playout init in a new folder (playout init FOLDER)"),
        )
    say = app.words
    while True:
        station_id = station_id or click.prompt(say(msg("station id (e.g. long-an/tan-an)")))
        if re.fullmatch(STATION_ID_PATTERN, station_id):
            break
        click.echo(
            "  " + say(msg("lower case letters, digits, - and _, parts separated by /")), err=True
        )
        station_id = None
    name = name or click.prompt(say(msg("station name")))
    area = (
        area if area is not None else click.prompt(say(msg("area (commune or ward)")), default="")
    )
    province = province if province is not None else click.prompt(say(msg("province")), default="")
    while True:
        text = sessions or click.prompt(
            say(msg("broadcast sessions")), default="05:30-06:30, 16:30-17:30"
        )
        try:
            parsed = parse_sessions(text)
            break
        except PlayoutError as exc:
            if sessions:  # given as an option: no one to ask again
                raise
            click.echo(f"  {say(exc.said)}; {say(exc.hinted)}", err=True)
    for sub in ("schedules", "playlists", "audio"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    target = root / "schedules" / "station.yaml"
    target.write_text(station_yaml(station_id, name, area, province, parsed, say), encoding="utf-8")
    loaded = load_station(root, capacity=False)
    if loaded.errors:  # a bug of this command: say so rather than leave a broken folder quietly
        raise PlayoutError(
            msg("the schedule written to {target} does not validate", target=str(target)),
            "; ".join(p.format(say) for p in loaded.errors),
        )
    click.echo(
        say(msg("made {root}/: schedules/station.yaml (valid), playlists/, audio/", root=str(root)))
    )
    click.echo(say(msg("next:")))
    click.echo(
        "  1. "
        + say(
            msg("import the clips (MP3, WAV, M4A, ... from anywhere; copies go to audio/FOLDER):")
        )
        + "\n     playout library import ~/Downloads/*.mp3 --into bluezone"
    )
    click.echo(
        "  2. "
        + say(msg("add a playlist (playlists/NAME.yaml) and a campaign in schedules/station.yaml"))
    )
    click.echo(
        "  3. " + say(msg("playout validate, then playout plan, then playout run (or the service)"))
    )
