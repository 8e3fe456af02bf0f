"""Probe and fully decode audio files with ffmpeg (run as a subprocess, never in-process)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from playout.i18n import Msg, Said, Text, msg

TIMEOUT_S = 120


class AudioError(Said):
    """A file that is not audio this station can air, in words for the operator."""


@dataclass(frozen=True)
class AudioInfo:
    duration_ms: int
    codec: str
    sample_rate: int
    channels: int


def tool(name: str) -> str:
    """The program ``name`` (ffmpeg or ffprobe) to run. ffmpeg is imageio-ffmpeg's static
    build when it is installed for this machine: it starts in ~10 ms, where a distribution's
    shared build takes ~130 ms of CPU resolving its libraries' symbols (Debian's links 215),
    and an import starts three of them."""
    if name == "ffmpeg" and (bundled := _bundled_ffmpeg()) is not None:
        return bundled
    found = shutil.which(name)
    if found is None:
        raise AudioError(
            msg("{name} is not installed, so audio files cannot be checked", name=name),
            msg("install ffmpeg (sudo apt-get install ffmpeg, or run ./dev setup)"),
        )
    return found


@functools.cache
def _bundled_ffmpeg() -> str | None:
    try:
        from imageio_ffmpeg import get_ffmpeg_exe
    except ImportError:  # no wheel for this machine: the system's ffmpeg
        return None
    try:
        return str(get_ffmpeg_exe())
    except RuntimeError:
        return None


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            args,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AudioError(msg("checking the audio took more than {s} s", s=TIMEOUT_S)) from exc


_CONTEXT = re.compile(r"\[[^\]]* @ 0x[0-9a-f]+\] ")  # "[mp3float @ 0x55...] "


def _first_line(text: str) -> str:
    """The line of ffmpeg's errors that says most: "Error while decoding ..." (ffmpeg 5), else
    the decoder's first complaint (ffmpeg 7 and later print only that), without its context."""
    lines = [_CONTEXT.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    for line in lines:
        if line.startswith("Error while decoding"):
            return line
    return lines[0] if lines else "unknown error"


_MAGIC: tuple[tuple[bytes, Msg], ...] = (
    (b"%PDF", msg("a PDF document")),
    (b"\xd0\xcf\x11\xe0", msg("an Office document (.doc, .xls, .ppt)")),
    (b"\x89PNG", msg("an image")),
    (b"\xff\xd8\xff", msg("an image")),
    (b"GIF8", msg("an image")),
    (b"Rar!", msg("a RAR archive")),
    (b"7z\xbc\xaf", msg("a 7z archive")),
)
_ZIPPED = {
    ".docx": msg("a Word document"),
    ".xlsx": msg("an Excel workbook"),
    ".pptx": msg("a presentation"),
    ".odt": msg("a text document"),
    ".ods": msg("a spreadsheet"),
}


def not_audio(path: Path) -> Text:
    """What a file that ffmpeg cannot read is, when it is plainly no recording ("" if unsure):
    operators are sent documents and archives as often as recordings."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError:
        return ""
    if head.startswith(b"PK\x03\x04"):
        return _ZIPPED.get(path.suffix.lower(), msg("a ZIP archive"))
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            return ""
        return msg("a text file")
    return ""


def probe(path: Path) -> AudioInfo:
    """Format facts of an audio file; raises :class:`AudioError` when it is not audio."""
    if path.stat().st_size == 0:
        raise AudioError(
            msg("the file is empty (0 bytes)"), msg("copy the clip again from its source")
        )
    proc = _run(
        [
            tool("ffprobe"),
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_format",
            "-show_streams",
            "-select_streams",
            "a:0",
            str(path),
        ]
    )
    if proc.returncode != 0:
        kind = not_audio(path)
        if kind:
            raise AudioError(
                msg("{name} is {kind}, not a recording", name=path.name, kind=kind),
                msg(
                    "import the recording itself (MP3, WAV, M4A, AMR, ...); a recording sent "
                    "inside a document or an archive must be saved out of it first"
                ),
            )
        raise AudioError(
            msg("not a readable audio file ({detail})", detail=_first_line(proc.stderr)),
            msg(
                "the file is damaged or not audio: check it plays on a PC, or copy it again "
                "from its source"
            ),
        )
    data = json.loads(proc.stdout or "{}")
    streams = data.get("streams") or []
    if not streams:
        kind = not_audio(path)
        if kind:
            raise AudioError(
                msg("{name} is {kind}, not a recording", name=path.name, kind=kind),
                msg("import the recording itself (MP3, WAV, M4A, AMR, ...)"),
            )
        raise AudioError(
            msg("the file holds no audio"), msg("is it a video, an image or a document?")
        )
    stream = streams[0]
    duration = stream.get("duration") or (data.get("format") or {}).get("duration")
    try:
        seconds = float(str(duration))
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise AudioError(
            msg("the audio has no length (no samples)"), msg("copy it again from its source")
        )
    return AudioInfo(
        duration_ms=round(seconds * 1000),
        codec=str(stream.get("codec_name", "")),
        sample_rate=int(stream.get("sample_rate") or 0),
        channels=int(stream.get("channels") or 0),
    )


def decode(path: Path, codec: str = "") -> None:
    """Decode the whole file; raises :class:`AudioError` on the first decoding error."""
    proc = _run(
        [
            tool("ffmpeg"),
            "-nostdin",
            "-v",
            "error",  # every decoding error is printed (with -xerror ffmpeg 5 loses the text)
            "-i",
            str(path),
            "-map",
            "0:a:0",
            "-f",
            "null",
            "-",
        ]
    )
    if proc.returncode != 0 or proc.stderr.strip():
        raise decoding_error(codec, proc.stderr)


def decoding_error(codec: str, stderr: str) -> AudioError:
    """The operator's message for ffmpeg's decoding errors."""
    if "Not yet implemented" in stderr:
        return AudioError(
            msg(
                "this {codec} file uses a variant of its format that is not supported here "
                "(ffmpeg: not yet implemented); it is not damaged",
                codec=codec or "audio",
            ),
            msg(
                "ask for it as MP3 or M4A (phone apps can share a voice note as audio), or "
                "record it again with another app"
            ),
        )
    return AudioError(
        msg("the audio cannot be decoded to the end ({detail})", detail=_first_line(stderr)),
        msg("the file is damaged; copy it again from its source"),
    )


class ClipChecker:
    """Probes and decodes clips, remembering results while a file is unchanged."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Path, int, int], AudioInfo] = {}

    def prefetch(self, paths: list[Path]) -> None:
        """Check many files at once, one ffprobe/ffmpeg pair per core: ``check`` then answers
        from memory for the good ones (a bad one is checked again there, to raise)."""
        todo = []  # on a reload every file is usually known already
        for path in paths:
            with contextlib.suppress(OSError):  # a missing file: check() says so later
                if self._key(path) not in self._seen:
                    todo.append(path)
        workers = min(len(todo), os.cpu_count() or 1)
        if workers < 2:
            return

        def quietly(path: Path) -> None:
            with contextlib.suppress(AudioError, OSError):
                self.check(path)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(quietly, todo))

    @staticmethod
    def _key(path: Path) -> tuple[Path, int, int]:
        st = path.stat()
        return (path, st.st_size, st.st_mtime_ns)

    def check(self, path: Path) -> AudioInfo:
        key = self._key(path)
        if key not in self._seen:
            info = probe(path)
            decode(path, info.codec)
            self._seen[key] = info
        return self._seen[key]
