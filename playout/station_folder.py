"""A station folder: schedules/, playlists/ and audio/ checked together.

This is where the layers meet for the commands and the daemon: the schedule is loaded and
validated, every clip it names is found in the audio library and decoded, its duration
measured, and the planner is run once to warn about what will not fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from playout.library import AudioError, ClipChecker, ClipPathError, resolve_clip
from playout.library.paths import AUDIO_DIR
from playout.planning import capacity_warnings
from playout.problems import Problem, error
from playout.schedule import Schedule, load_schedule


@dataclass
class LoadedStation:
    root: Path
    schedule: Schedule | None
    durations: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return self.schedule is not None and not self.errors


def load_station(
    root: Path,
    paths: Sequence[Path] = (),
    *,
    checker: ClipChecker | None = None,
    capacity: bool = True,
) -> LoadedStation:
    """Load and check everything; never raises for bad input (see ``problems``)."""
    result = load_schedule(root, paths)
    loaded = LoadedStation(root, result.schedule, problems=list(result.problems))
    if result.schedule is None:
        return loaded
    checker = checker or ClipChecker()
    library = root / AUDIO_DIR
    for ref, where in result.schedule.clip_files().items():
        try:
            path = resolve_clip(library, ref)
            loaded.durations[ref] = checker.check(path).duration_ms
        except (ClipPathError, AudioError) as exc:
            loaded.problems.append(error(where, f'clip "{ref}": {exc.message}', exc.hint))
    if loaded.errors:
        loaded.schedule = None
        return loaded
    if capacity:
        loaded.problems.extend(capacity_warnings(result.schedule, loaded.durations))
    return loaded
