"""Problems found in operator input: what is wrong, where, and what to do.

Every layer reports bad input as :class:`Problem` values instead of raising, so that a whole
set of files can be checked at once and every error shown together.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        if self.column <= 0:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    location: Location
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict[str, str | int]:
        loc = self.location
        return {
            "file": loc.file,
            "line": loc.line,
            "column": loc.column,
            "message": self.message,
            "hint": self.hint,
            "severity": self.severity.value,
        }

    @classmethod
    def from_dict(cls, d: dict[str, str | int]) -> Problem:
        return cls(
            Location(str(d["file"]), int(d["line"]), int(d["column"])),
            str(d["message"]),
            str(d["hint"]),
            Severity(str(d["severity"])),
        )

    def format(self) -> str:
        text = f"{self.location}: {self.severity.value}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


def error(location: Location, message: str, hint: str = "") -> Problem:
    return Problem(location, message, hint, Severity.ERROR)


def warning(location: Location, message: str, hint: str = "") -> Problem:
    return Problem(location, message, hint, Severity.WARNING)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A hint naming the closest choice, or listing the choices when none is close."""
    options = sorted(set(choices))
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if close:
        return f'did you mean "{close[0]}"?'
    if not options:
        return ""
    if len(options) > 12:
        return "see the README for the allowed values"
    return "allowed: " + ", ".join(f'"{o}"' for o in options)


def display_path(path: Path, base: Path | None = None) -> str:
    """A path as the operator typed it: relative to ``base`` (or the cwd) when inside it."""
    for root in (base, Path.cwd()):
        if root is None:
            continue
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            continue
    return str(path)


class PlayoutError(Exception):
    """An error meant for the operator: what is wrong, and what to do about it.

    The CLI's single error boundary prints these without a traceback.
    """

    exit_code = 1

    def __init__(self, message: str, hint: str = "", problems: Iterable[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.problems = list(problems)
