"""``playout doctor``: whether this PC can air, one line per check, with what to do."""

from __future__ import annotations

import json

import click

from playout.cli.context import AppContext, pass_app
from playout.i18n import Text, msg
from playout.problems import PlayoutError


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (for scripts).")
@click.option(
    "--no-tone", is_flag=True, help="Do not play the 1 s test tone (e.g. while on air live)."
)
@click.option("--output", help="Check this libvlc output instead of station.audio.output.")
@click.option("--device", help="Check this device of the output.")
@pass_app
def command(
    app: AppContext, as_json: bool, no_tone: bool, output: str | None, device: str | None
) -> None:
    """Check libvlc, ffmpeg, the station folder, the database, the clock, the sound (a 1 s test
    tone on the station's output) and the service; exit 1 when something must be fixed."""
    from playout.cli.control import ask
    from playout.doctor import ERROR, WARNING, run_checks, summary

    def daemon_running() -> bool:
        try:
            ask(app, "status")
        except PlayoutError:
            return False
        return True

    checks = run_checks(
        app.root,
        app.clock.now(),
        tone=not no_tone,
        output=output,
        device=device,
        daemon_running=daemon_running,
    )
    if as_json:
        click.echo(json.dumps(summary(checks), ensure_ascii=False, indent=2))
    else:
        colours = {ERROR: "red", WARNING: "yellow"}
        say = app.words
        levels = {k: say(v) for k, v in LEVELS.items()}
        names = {c.name: say(NAMES.get(c.name, c.name)) for c in checks}
        w1 = max(len(v) for v in levels.values()) + 1
        w2 = max(len(v) for v in names.values()) + 1
        for c in checks:
            level, name = levels.get(c.level, c.level), names[c.name]
            click.secho(f"{level:{w1}}{name:{w2}}{say(c.message)}", fg=colours.get(c.level))
            if c.hint and c.level != "ok":
                click.echo(" " * (w1 + w2) + say(msg("what to do: {hint}", hint=c.hint)))
    if not summary(checks)["ok"]:
        raise PlayoutError(msg("this PC cannot air reliably until the errors above are fixed"))


LEVELS = {"ok": msg("ok"), "warning": msg("warning"), "error": msg("error")}
NAMES: dict[str, Text] = {
    "libvlc": "libvlc",
    "ffmpeg": "ffmpeg",
    "station": msg("station"),
    "timezone": msg("timezone"),
    "database": msg("database"),
    "clock": msg("clock"),
    "sound": msg("sound"),
    "service": msg("service"),
}
