"""``playout devices``: the audio outputs and devices libvlc sees."""

from __future__ import annotations

import click


@click.command("devices")
def command() -> None:
    """List libvlc's audio outputs and their devices (for station.audio.output / device)."""
    from playout.player.vlc import audio_outputs

    for name, description, devices in audio_outputs():
        click.echo(f"{name}: {description}")
        for device, text in devices:
            click.echo(f"    {device}: {text}")
