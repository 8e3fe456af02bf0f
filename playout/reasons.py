"""Why an airing did not complete, as a code plus parameters, rendered in each language.

The daemon and the player write a reason with :meth:`Phrase.text` (the English form is what the
as-run log stores and the hub receives, so logs read the same everywhere and old rows stay
valid); :func:`parse` turns a stored reason back into (code, parameters) and :func:`render`
writes it in the report's language. A reason is one or more phrases joined by "; " (or " and "
for clock jumps); a part that is no known phrase — an operator's note, a message from ffmpeg or
libvlc — is kept as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FIELD = re.compile(r"\{(\w+)\}")
_SPAN_UNITS = {"s": "giây", "min": "phút", "h": "giờ"}


@dataclass(frozen=True)
class Phrase:
    code: str
    en: str  # the stored form, with {name} fields
    vi: str
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
LATE = Phrase("late", "late by {late}: the output was busy or the station was off",
              "trễ {late}: đầu ra đang bận hoặc đài đang tắt")
PAUSED_NOTE = Phrase("paused_note", "paused until {until} ({note})",
                     "tạm dừng đến {until} ({note})")
PAUSED = Phrase("paused", "paused until {until}", "tạm dừng đến {until}")
OFF_AIR = Phrase("off_air", "station off air", "đài không phát (máy tắt hoặc phần mềm không chạy)")
NO_MAKE_GOOD = Phrase("no_make_good", "no free time left today to make it good",
                      "trong ngày không còn chỗ trống để phát bù")
MOVED = Phrase("moved", "planned at {start} instead of its 'at' time {wanted}",
               "xếp phát lúc {start} thay cho giờ đặt {wanted}")
STARTED_LATE = Phrase("started_late", "started {late} late", "bắt đầu trễ {late}")
DAEMON_STOPPED = Phrase("daemon_stopped", "the daemon was stopped during the airing",
                        "phần mềm bị dừng khi đang phát")
EMERGENCY = Phrase("emergency", "interrupted by an emergency announcement",
                   "bị ngắt để phát thông báo khẩn")
UNAPPROVED = Phrase("unapproved", "unapproved audio: the file differs from the catalogue ({sha})",
                    "âm thanh chưa được duyệt: tệp khác với danh mục ({sha})")
CLOCK_FORWARD = Phrase("clock_forward", "the system clock stepped forward by {span}",
                       "đồng hồ máy nhảy tới {span}")
CLOCK_BACK = Phrase("clock_back", "the system clock stepped back by {span}",
                    "đồng hồ máy lùi lại {span}")
FROZEN = Phrase("frozen", "the daemon was frozen for {span}", "phần mềm bị treo {span}")
TIME_JUMPED = Phrase("time_jumped", "time jumped", "thời gian bị nhảy")
STOPPED = Phrase("stopped", "stopped", "đã dừng")
REFUSED = Phrase("vlc_refused", "libvlc refused to play the clip", "libvlc không phát được tin bài")
FROZEN_AIRING = Phrase(
    "frozen_airing",
    "the daemon was frozen for {frozen} s during the airing (computer overloaded or suspended): "
    "the audio stopped at {at} s",
    "phần mềm bị treo {frozen} giây khi đang phát (máy quá tải hoặc ngủ): âm thanh dừng ở giây "
    "{at}",
)
OUTPUT_FAILED = Phrase("output_failed", "the audio output failed at {at} s ({detail})",
                       "đầu ra âm thanh hỏng ở giây {at} ({detail})")
VLC_REPORTED = Phrase("vlc_reported", "libvlc reported {kind}", "libvlc báo {kind}")
NOT_STARTED = Phrase("not_started", "playback did not start", "không bắt đầu phát được")
STALLED = Phrase("stalled", "the player stalled at {at} s", "trình phát bị kẹt ở giây {at}")
OVERRAN = Phrase("overran", "the clip did not end when expected",
                 "tin bài không kết thúc đúng lúc")
NO_AUDIO = Phrase("no_audio",
                  "no audio reached the output ({detail}): is the sound card available?",
                  "không có âm thanh ra đầu ra ({detail}): card âm thanh có hoạt động không?")
ENDED_EARLY = Phrase(
    "ended_early",
    "ended early: played {played} s of {length} s (damaged or truncated file?)",
    "kết thúc sớm: phát {played} trên {length} giây (tệp hỏng hoặc bị cắt?)",
)
CLIP_MISSING = Phrase("clip_missing", 'the clip "{clip}" does not exist in audio/',
                      'tin bài "{clip}" không có trong audio/')
NO_RECORD = Phrase("no_record",
                   "no row in the as-run log: the station was off the air or playout did not run",
                   "không có trong nhật ký phát sóng: đài không phát hoặc phần mềm không chạy")
STOPPED_DURING = Phrase("stopped_during",
                        "the station stopped during the airing (power cut or crash)",
                        "đài dừng khi đang phát (mất điện hoặc phần mềm bị lỗi)")
UNKNOWN = Phrase(
    "unknown",
    "unknown: the daemon was running but could not write the as-run log and stopped before it "
    "could, so whether this airing aired is not known",
    "không rõ: phần mềm đang chạy nhưng không ghi được nhật ký phát sóng và đã dừng trước khi "
    "ghi được, nên không biết lượt này đã phát hay chưa",
)
FILE_MISSING = Phrase("file_missing", "the clip file is missing: {path}",
                      "thiếu tệp tin bài: {path}")
FILE_UNREADABLE = Phrase("file_unreadable", "the clip file cannot be read: {path}: {error}",
                         "không đọc được tệp tin bài: {path}: {error}")
FILE_EMPTY = Phrase("file_empty", "the clip file is empty (0 bytes): {path}",
                    "tệp tin bài rỗng (0 byte): {path}")
CANNOT_DECODE = Phrase("cannot_decode", "the clip cannot be read: {path}: {error}",
                       "không giải mã được tin bài: {path}: {error}")
VLC_CANNOT_OPEN = Phrase("vlc_cannot_open", "libvlc cannot open the clip: {path}",
                         "libvlc không mở được tin bài: {path}")
VLC_CANNOT_READ = Phrase("vlc_cannot_read", "libvlc cannot read the clip ({state}): {path}",
                         "libvlc không đọc được tin bài ({state}): {path}")
NO_AUDIO_TRACK = Phrase("no_audio_track", "the clip holds no audio track: {path}",
                        "tin bài không có kênh âm thanh: {path}")
SILENT_FILE = Phrase("silent_file", "the clip holds no audio: {path}",
                     "tin bài không có âm thanh: {path}")
CHANGED = Phrase(
    "changed",
    "the clip {clip} changed since import (its sha256 is {actual}, the catalogue's "
    "{expected}): not the approved audio, import it again with 'playout library import' or put "
    "the approved file back",
    "tin bài {clip} đã bị thay đổi sau khi nhập (sha256 của tệp là {actual}, của danh mục là "
    "{expected}): không phải âm thanh đã duyệt, hãy nhập lại bằng 'playout library import' "
    "hoặc chép lại tệp đã duyệt",
)
# fmt: on

PHRASES: tuple[Phrase, ...] = tuple(v for v in globals().values() if isinstance(v, Phrase))
_BY_CODE = {p.code: p for p in PHRASES}
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


def _vi_value(value: str) -> str:
    """A parameter in Vietnamese: spans ("4.2 s", "20 min") get Vietnamese units."""
    number, _, unit = value.partition(" ")
    if unit in _SPAN_UNITS and number.replace(".", "", 1).isdigit():
        return f"{number} {_SPAN_UNITS[unit]}"
    return value


def render(text: str, lang: str) -> str:
    """A stored reason in ``lang`` ("vi" or "en")."""
    if lang != "vi" or not text:
        return text
    return "; ".join(
        " và ".join(
            item
            if isinstance(item, str)
            else item[0].vi.format(**{k: _vi_value(v) for k, v in item[1].items()})
            for item in part
        )
        for part in _parts(text)
    )
