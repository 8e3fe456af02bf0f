"""What every command receives: the station folder and the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from playout.clock import Clock, SystemClock


@dataclass
class AppContext:
    root: Path
    clock: Clock = field(default_factory=SystemClock)


pass_app = click.make_pass_decorator(AppContext)
