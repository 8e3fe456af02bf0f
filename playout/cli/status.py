"""``playout status``: what the running daemon is doing."""

from __future__ import annotations

import json
from typing import Any

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.control import ask
from playout.cli.output import words
from playout.i18n import Msg, Text, Words, msg
from playout.problems import Problem


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_app
def command(app: AppContext, as_json: bool) -> None:
    """On air now, the next airings, level, last reload, today's counts (exit 1: the last reload
    failed or something is wrong; exit 3: no daemon)."""
    data: dict[str, Any] = ask(app, "status")
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        if not data["last_reload"]["ok"] or data.get("problems"):
            raise click.exceptions.Exit(1)
        return
    say = words()
    now = data["now"]
    pad = max(len(say(label)) for label in LABELS.values()) + 1

    def line(label: str, text: Text, colour: str | None = None) -> None:
        click.secho(say(LABELS[label]).ljust(pad) + say(text), fg=colour)

    click.echo(
        say(
            msg(
                "station {station} at {now}, up {uptime} s",
                station=data["station"],
                now=now[:19],
                uptime=data["uptime_s"],
            )
        )
    )
    on_air = data["on_air"]
    if on_air:
        line(
            "on_air",
            msg(
                "{clip} ({campaign}, {trigger}) {played} s played, {left} s to go",
                clip=on_air["clip"],
                campaign=on_air["campaign"],
                trigger=on_air["trigger"],
                played=f"{on_air['elapsed_s']:.0f}",
                left=f"{on_air['remaining_s']:.0f}",
            ),
        )
    else:
        line("on_air", msg("nothing"))
    level: Text = msg("alert level {level}", level=data["level"])
    if data["level_until"]:
        level = msg("{level} until {until}", level=level, until=data["level_until"][:16])
    if data["paused_until"]:
        level = msg("{level}; PAUSED until {until}", level=level, until=data["paused_until"][11:16])
    click.echo(say(level))
    reload = data["last_reload"]
    version: Text = msg("schedule version {version}", version=data["schedule_version"])
    if reload["at"]:
        version = msg(
            "{version}; last reload {at} {outcome}",
            version=version,
            at=reload["at"][11:19],
            outcome=msg("ok") if reload["ok"] else msg("FAILED"),
        )
    click.echo(say(version))
    problems = [Problem.from_dict(p) for p in reload.get("problems", [])]
    for error in [p.format(say) for p in problems] or reload["errors"]:
        click.secho("  " + error.replace("\n", "\n  "), fg="red")
    said = [Msg.from_dict(p) for p in data.get("problems_said", [])]
    for problem in said or data.get("problems", []):
        line("problem", problem, "red")
    backlog = data.get("as_run_backlog") or {}
    if backlog.get("rows_waiting"):
        line(
            "as_run",
            msg(
                "{rows} row(s) wait for the database since {since}: {error}",
                rows=backlog["rows_waiting"],
                since=_when(backlog["failing_since"], now),
                error=backlog["last_error"],
            ),
            "red",
        )
    sync = data.get("sync") or {}
    if sync.get("hub_url") or sync.get("last_error"):
        last: Text = _when(sync["last_success"], now) if sync.get("last_success") else msg("never")
        hub: Text = msg(
            "last upload {last}; {rows} row(s) waiting", last=last, rows=sync.get("rows_waiting", 0)
        )
        if sync.get("last_error"):
            hub = msg("{hub}; last error: {error}", hub=hub, error=sync["last_error"])
        line("hub", hub, "red" if sync.get("last_error") else None)
    _bundles(app, say, pad)
    _clock(say, pad)
    if data.get("output_dead_since"):
        line(
            "output",
            msg(
                "the audio output has not worked since {since}",
                since=_when(data["output_dead_since"], now),
            ),
            "red",
        )
    for jump in data.get("clock_jumps", [])[-3:]:
        line("clock", f"{_when(jump['at'], now)}: {jump['what']}")
    click.echo(say(msg("next:")))
    for item in data["next"]:
        click.echo(
            f"  {_when(item['start'], now)}  {item['campaign']:16} {item['clip']}"
            + (f"  ({item['trigger']})" if item["trigger"] != "schedule" else "")
        )
    click.echo(say(msg("today (planned / completed / failed / missed / skipped / interrupted):")))
    for campaign, c in sorted(data["today"].items()):
        click.echo(
            f"  {campaign:16} {c.get('planned', 0)} / {c.get('completed', 0)} / "
            f"{c.get('failed', 0)} / {c.get('missed', 0)} / {c.get('skipped', 0)} / "
            f"{c.get('interrupted', 0)}"
        )
    click.echo(
        say(
            msg(
                "audio output {output}; database {database}",
                output=data["audio_output"],
                database=data["database"],
            )
        )
    )
    if not reload["ok"] or data.get("problems"):
        raise click.exceptions.Exit(1)  # on air, but something needs the operator (above)


# the first word of a line, padded to the longest in the operator's language
LABELS = {
    "on_air": msg("ON AIR"),
    "problem": msg("PROBLEM"),
    "as_run": msg("AS-RUN"),
    "hub": msg("HUB"),
    "campaign": msg("CAMPAIGN"),
    "output": msg("OUTPUT"),
    "clock": msg("CLOCK"),
}


def _when(iso: str | None, now: str) -> str:
    """HH:MM:SS today, else dd/mm HH:MM:SS (so tomorrow's airings do not look overdue)."""
    if not iso:
        return "?"
    if iso[:10] == now[:10]:
        return iso[11:19]
    return f"{iso[8:10]}/{iso[5:7]} {iso[11:19]}"


def _bundles(app: AppContext, say: Words, pad: int) -> None:
    """The province's campaign bundles that need the operator (read from the station folder)."""
    from playout.sync.bundle_state import waiting_bundles

    label = say(LABELS["campaign"]).ljust(pad)
    for name, entry in sorted(waiting_bundles(app.root).items()):
        if entry["state"] == "waiting":
            said = msg(
                "{name} v{version} from the province waits for you: playout campaign accept "
                "{name} (or decline {name} --reason ...)",
                name=name,
                version=entry["version"],
            )
            click.secho(label + say(said), fg="yellow")
        elif entry["state"] == "refused":
            said = msg(
                "{name} v{version} does not fit this station: {reason}",
                name=name,
                version=entry["version"],
                reason=entry["reason"].split("\n")[0],
            )
            click.secho(label + say(said), fg="red")


def _clock(say: Words, pad: int) -> None:
    """A PC clock that NTP does not keep moves every airing: say so where operators look."""
    from playout.doctor import ERROR, clock_check

    check = clock_check()
    if check.level == ERROR:
        click.secho(
            say(LABELS["clock"]).ljust(pad) + f"{say(check.message)}; {say(check.hint)}", fg="red"
        )
