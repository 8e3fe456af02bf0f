"""``playout doctor``: whether this PC can air, one line per check, with what to do."""

from __future__ import annotations

import json

import click

from playout.cli.context import AppContext, pass_app
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
        for c in checks:
            click.secho(f"{c.level:8} {c.name:9} {c.message}", fg=colours.get(c.level))
            if c.hint and c.level != "ok":
                click.echo(f"{'':18} what to do: {c.hint}")
    if not summary(checks)["ok"]:
        raise PlayoutError("this PC cannot air reliably until the errors above are fixed")
