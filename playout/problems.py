"""Problems found in operator input: what is wrong, where, and what to do.

Every layer reports bad input as :class:`Problem` values instead of raising, so that a whole
set of files can be checked at once and every error shown together.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from playout.i18n import Msg, Said, Text, Words, msg


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


SEVERITY_WORDS = {
    Severity.ERROR: msg("error"),
    Severity.WARNING: msg("warning"),
}
HINT = msg("hint")


@dataclass(frozen=True)
class Problem:
    """A problem with operator input. ``message`` and ``hint`` are the English text (logs,
    JSON, tests); ``said``/``hinted`` keep them as messages, rendered in the operator's language
    by :meth:`format`."""

    location: Location
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR
    said: Msg | None = field(default=None, compare=False, repr=False)
    hinted: Msg | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, location: Location, message: Text, hint: Text, severity: Severity) -> Problem:
        return cls(
            location,
            str(message),
            str(hint),
            severity,
            message if isinstance(message, Msg) else None,
            hint if isinstance(hint, Msg) else None,
        )

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def as_dict(self) -> dict[str, Any]:
        """JSON-able; the English text, and the message's template and values when it has
        them (so the CLI shows a daemon's problems in the operator's language)."""
        loc = self.location
        out: dict[str, Any] = {
            "file": loc.file,
            "line": loc.line,
            "column": loc.column,
            "message": self.message,
            "hint": self.hint,
            "severity": self.severity.value,
        }
        if self.said is not None:
            out["message_msg"] = self.said.as_dict()
        if self.hinted is not None:
            out["hint_msg"] = self.hinted.as_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Problem:
        def text(key: str) -> Text:
            found = d.get(f"{key}_msg")
            return Msg.from_dict(found) if isinstance(found, dict) else str(d[key])

        return cls.of(
            Location(str(d["file"]), int(d["line"]), int(d["column"])),
            text("message"),
            text("hint"),
            Severity(str(d["severity"])),
        )

    def words(self, say: Words) -> tuple[str, str]:
        """(message, hint) in ``say``'s language."""
        return say(self.said or self.message), say(self.hinted or self.hint)

    def format(self, words: Words | None = None) -> str:
        say = words or Words("en")
        message, hint = self.words(say)
        text = f"{self.location}: {say(SEVERITY_WORDS[self.severity])}: {message}"
        if hint:
            text += f"\n    {say(HINT)}: {hint}"
        return text


def error(location: Location, message: Text, hint: Text = "") -> Problem:
    return Problem.of(location, message, hint, Severity.ERROR)


def warning(location: Location, message: Text, hint: Text = "") -> Problem:
    return Problem.of(location, message, hint, Severity.WARNING)


def did_you_mean(word: str, choices: Iterable[str]) -> Text:
    """A hint naming the closest choice, or listing the choices when none is close."""
    options = sorted(set(choices))
    close = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    if close:
        return msg('did you mean "{choice}"?', choice=close[0])
    if not options:
        return ""
    if len(options) > 12:
        return msg("see docs/operator/station-folder.md for the allowed values")
    return msg("allowed: {choices}", choices=", ".join(f'"{o}"' for o in options))


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


class PlayoutError(Said):
    """An error meant for the operator: what is wrong, and what to do about it.

    The CLI's single error boundary prints these without a traceback.
    """

    exit_code = 1

    def __init__(self, message: Text, hint: Text = "", problems: Iterable[Problem] = ()) -> None:
        super().__init__(message, hint)
        self.problems = list(problems)
