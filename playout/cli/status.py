"""``playout status``: what the running daemon is doing."""

from __future__ import annotations

import json
from typing import Any

import click

from playout.cli.context import AppContext, pass_app
from playout.cli.control import ask


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
    on_air = data["on_air"]
    click.echo(f"station {data['station']} at {data['now'][:19]}, up {data['uptime_s']} s")
    if on_air:
        click.echo(
            f"ON AIR   {on_air['clip']} ({on_air['campaign']}, {on_air['trigger']}) "
            f"{on_air['elapsed_s']:.0f} s played, {on_air['remaining_s']:.0f} s to go"
        )
    else:
        click.echo("ON AIR   nothing")
    level = f"alert level {data['level']}"
    if data["level_until"]:
        level += f" until {data['level_until'][:16]}"
    click.echo(
        level + (f"; PAUSED until {data['paused_until'][11:16]}" if data["paused_until"] else "")
    )
    reload = data["last_reload"]
    click.echo(
        f"schedule version {data['schedule_version']}"
        + (
            ""
            if not reload["at"]
            else f"; last reload {reload['at'][11:19]} {'ok' if reload['ok'] else 'FAILED'}"
        )
    )
    for error in reload["errors"]:
        click.secho(f"  {error}", fg="red")
    for problem in data.get("problems", []):
        click.secho(f"PROBLEM  {problem}", fg="red")
    backlog = data.get("as_run_backlog") or {}
    if backlog.get("rows_waiting"):
        click.secho(
            f"AS-RUN   {backlog['rows_waiting']} row(s) wait for the database since "
            f"{_when(backlog['failing_since'], data['now'])}: {backlog['last_error']}",
            fg="red",
        )
    sync = data.get("sync") or {}
    if sync.get("hub_url") or sync.get("last_error"):
        last = _when(sync["last_success"], data["now"]) if sync.get("last_success") else "never"
        line = f"HUB      last upload {last}; {sync.get('rows_waiting', 0)} row(s) waiting"
        if sync.get("last_error"):
            line += f"; last error: {sync['last_error']}"
        click.secho(line, fg="red" if sync.get("last_error") else None)
    _bundles(app)
    _clock()
    if data.get("output_dead_since"):
        click.secho(
            f"OUTPUT   the audio output has not worked since "
            f"{_when(data['output_dead_since'], data['now'])}",
            fg="red",
        )
    for jump in data.get("clock_jumps", [])[-3:]:
        click.echo(f"CLOCK    {_when(jump['at'], data['now'])}: {jump['what']}")
    click.echo("next:")
    for item in data["next"]:
        click.echo(
            f"  {_when(item['start'], data['now'])}  {item['campaign']:16} {item['clip']}"
            + (f"  ({item['trigger']})" if item["trigger"] != "schedule" else "")
        )
    click.echo("today (planned / completed / failed / missed / skipped / interrupted):")
    for campaign, c in sorted(data["today"].items()):
        click.echo(
            f"  {campaign:16} {c.get('planned', 0)} / {c.get('completed', 0)} / "
            f"{c.get('failed', 0)} / {c.get('missed', 0)} / {c.get('skipped', 0)} / "
            f"{c.get('interrupted', 0)}"
        )
    click.echo(f"audio output {data['audio_output']}; database {data['database']}")
    if not reload["ok"] or data.get("problems"):
        raise click.exceptions.Exit(1)  # on air, but something needs the operator (above)


def _when(iso: str | None, now: str) -> str:
    """HH:MM:SS today, else dd/mm HH:MM:SS (so tomorrow's airings do not look overdue)."""
    if not iso:
        return "?"
    if iso[:10] == now[:10]:
        return iso[11:19]
    return f"{iso[8:10]}/{iso[5:7]} {iso[11:19]}"


def _bundles(app: AppContext) -> None:
    """The province's campaign bundles that need the operator (read from the station folder)."""
    from playout.sync.bundle_state import waiting_bundles

    for name, entry in sorted(waiting_bundles(app.root).items()):
        if entry["state"] == "waiting":
            click.secho(
                f"CAMPAIGN {name} v{entry['version']} from the province waits for you: "
                f"playout campaign accept {name} (or decline {name} --reason ...)",
                fg="yellow",
            )
        elif entry["state"] == "refused":
            reason = entry["reason"].split("\n")[0]
            click.secho(
                f"CAMPAIGN {name} v{entry['version']} does not fit this station: {reason}",
                fg="red",
            )


def _clock() -> None:
    """A PC clock that NTP does not keep moves every airing: say so where operators look."""
    from playout.doctor import ERROR, clock_check

    check = clock_check()
    if check.level == ERROR:
        click.secho(f"CLOCK    {check.message}; {check.hint}", fg="red")
