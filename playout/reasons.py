"""Why an airing did not complete, as a code plus parameters, rendered in each language.

The daemon and the player write a reason with :meth:`Phrase.text` (the English form is what the
as-run log stores and the hub receives, so logs read the same everywhere and old rows stay
valid); :func:`parse` turns a stored reason back into (code, parameters) and :func:`render`
writes it in the report's language. The English forms make the ``ENGLISH`` table; their
Vietnamese is in the one message catalogue, ``locale/vi.po`` (context ``reason:<code>``).
A reason is one or more phrases joined by "; " (or " and " for clock jumps); a part that is no
known phrase (an operator's note, a message from ffmpeg or libvlc) is kept as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from playout.i18n import table

_FIELD = re.compile(r"\{(\w+)\}")
_SPAN_UNITS = ("s", "min", "h")  # a span parameter's units ("4.2 s", "20 min"), translated


@dataclass(frozen=True)
class Phrase:
    code: str
    en: str  # the stored form, with {name} fields
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = _FIELD.split(self.en)  # text, name, text, name, ...
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        object.__setattr__(self, "pattern", re.compile(regex + r"\Z"))

    def text(self, **params: object) -> str:
        return self.en.format(**params)

    def fields(self) -> list[str]:
        return _FIELD.findall(self.en)

    def matches(self, text: str) -> bool:
        """Is ``text`` this phrase (whatever its parameters)?"""
        return self.pattern.match(text) is not None


# fmt: off
LATE = Phrase("late", "late by {late}: the output was busy or the station was off")
PAUSED_NOTE = Phrase("paused_note", "paused until {until} ({note})")
PAUSED = Phrase("paused", "paused until {until}")
OFF_AIR = Phrase("off_air", "station off air")
NO_MAKE_GOOD = Phrase("no_make_good", "no free time left today to make it good")
MOVED = Phrase("moved", "planned at {start} instead of its 'at' time {wanted}")
STARTED_LATE = Phrase("started_late", "started {late} late")
DAEMON_STOPPED = Phrase("daemon_stopped", "the daemon was stopped during the airing")
EMERGENCY = Phrase("emergency", "interrupted by an emergency announcement")
UNAPPROVED = Phrase("unapproved", "unapproved audio: the file differs from the catalogue ({sha})")
CLOCK_FORWARD = Phrase("clock_forward", "the system clock stepped forward by {span}")
CLOCK_BACK = Phrase("clock_back", "the system clock stepped back by {span}")
FROZEN = Phrase("frozen", "the daemon was frozen for {span}")
TIME_JUMPED = Phrase("time_jumped", "time jumped")
STOPPED = Phrase("stopped", "stopped")
REFUSED = Phrase("vlc_refused", "libvlc refused to play the clip")
FROZEN_AIRING = Phrase(
    "frozen_airing",
    "the daemon was frozen for {frozen} s during the airing (computer overloaded or suspended): "
    "the audio stopped at {at} s",
)
OUTPUT_FAILED = Phrase("output_failed", "the audio output failed at {at} s ({detail})")
VLC_REPORTED = Phrase("vlc_reported", "libvlc reported {kind}")
NOT_STARTED = Phrase("not_started", "playback did not start")
STALLED = Phrase("stalled", "the player stalled at {at} s")
OVERRAN = Phrase("overran", "the clip did not end when expected")
NO_AUDIO = Phrase("no_audio",
                  "no audio reached the output ({detail}): is the sound card available?")
ENDED_EARLY = Phrase(
    "ended_early",
    "ended early: played {played} s of {length} s (damaged or truncated file?)",
)
CLIP_MISSING = Phrase("clip_missing", 'the clip "{clip}" does not exist in audio/')
NO_RECORD = Phrase("no_record",
                   "no row in the as-run log: the station was off the air or playout did not run")
STOPPED_DURING = Phrase("stopped_during",
                        "the station stopped during the airing (power cut or crash)")
UNKNOWN = Phrase(
    "unknown",
    "unknown: the daemon was running but could not write the as-run log and stopped before it "
    "could, so whether this airing aired is not known",
)
FILE_MISSING = Phrase("file_missing", "the clip file is missing: {path}")
FILE_UNREADABLE = Phrase("file_unreadable", "the clip file cannot be read: {path}: {error}")
FILE_EMPTY = Phrase("file_empty", "the clip file is empty (0 bytes): {path}")
CANNOT_DECODE = Phrase("cannot_decode", "the clip cannot be read: {path}: {error}")
VLC_CANNOT_OPEN = Phrase("vlc_cannot_open", "libvlc cannot open the clip: {path}")
VLC_CANNOT_READ = Phrase("vlc_cannot_read", "libvlc cannot read the clip ({state}): {path}")
NO_AUDIO_TRACK = Phrase("no_audio_track", "the clip holds no audio track: {path}")
SILENT_FILE = Phrase("silent_file", "the clip holds no audio: {path}")
CHANGED = Phrase(
    "changed",
    "the clip {clip} changed since import (its sha256 is {actual}, the catalogue's "
    "{expected}): not the approved audio, import it again with 'playout library import' or put "
    "the approved file back",
)
# fmt: on

PHRASES: tuple[Phrase, ...] = tuple(v for v in globals().values() if isinstance(v, Phrase))
_BY_CODE = {p.code: p for p in PHRASES}
ENGLISH: dict[str, str] = (
    {p.code: p.en for p in PHRASES} | {f"unit_{u}": u for u in _SPAN_UNITS} | {"and": "and"}
)
# the most specific first: "the daemon was frozen for {frozen} s during the airing ..." before
# "the daemon was frozen for {span}"
_ORDER = sorted(PHRASES, key=lambda p: -len(_FIELD.sub("", p.en)))


def _match(part: str) -> tuple[Phrase, dict[str, str]] | None:
    for phrase in _ORDER:
        found = phrase.pattern.match(part)
        if found is not None:
            return phrase, found.groupdict()
    return None


def _parts(text: str) -> list[list[tuple[Phrase, dict[str, str]] | str]]:
    """Each "; " part of a reason as its phrases (several when joined by " and "), or as the
    text itself when it is no known phrase."""
    out: list[list[tuple[Phrase, dict[str, str]] | str]] = []
    for part in (p for p in text.split("; ") if p):
        pieces = [_match(piece) for piece in part.split(" and ")]
        if len(pieces) > 1 and all(pieces):  # clock jumps: "... and ..."
            out.append([x for x in pieces if x])
            continue
        found = _match(part)
        out.append([found if found else part])
    return out


def parse(text: str) -> list[tuple[str, dict[str, str]]]:
    """The phrases of a stored reason as (code, parameters); ("", {"text": part}) for a part
    that is no known phrase."""
    return [
        ("", {"text": item}) if isinstance(item, str) else (item[0].code, item[1])
        for part in _parts(text)
        for item in part
    ]


def _value(value: str, words: dict[str, str]) -> str:
    """A parameter in the report's language: spans ("4.2 s", "20 min") get its units."""
    number, _, unit = value.partition(" ")
    if unit in _SPAN_UNITS and number.replace(".", "", 1).isdigit():
        return f"{number} {words[f'unit_{unit}']}"
    return value


@lru_cache(maxsize=4)
def _words(lang: str) -> dict[str, str]:
    """The reasons' words in ``lang`` (built once: reports render a reason per row)."""
    return table(lang, "reason", ENGLISH)


def render(text: str, lang: str) -> str:
    """A stored reason in ``lang`` ("vi" or "en")."""
    if lang != "vi" or not text:
        return text
    words = _words(lang)
    return "; ".join(
        f" {words['and']} ".join(
            item
            if isinstance(item, str)
            else words[item[0].code].format(**{k: _value(v, words) for k, v in item[1].items()})
            for item in part
        )
        for part in _parts(text)
    )
