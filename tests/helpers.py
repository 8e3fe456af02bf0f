"""Helpers to build station folders and real audio files for tests."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make_tone(path: Path, seconds: float = 3.0, freq: int = 440) -> Path:
    """A real mono audio file made by ffmpeg (sine tone, 22.05 kHz)."""
    return make_audio(path, f"sine=frequency={freq}:sample_rate=22050", seconds, "-ac", "1")


def make_audio(path: Path, source: str, seconds: float, *extra: str) -> Path:
    """A real audio file from an ffmpeg lavfi source, e.g. "sine=frequency=440"."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"{source}:duration={seconds}",
            *extra,
            str(path),
        ],
        check=True,
    )
    return path


def make_speech(path: Path, text: str) -> Path:
    """Real Vietnamese speech from espeak-ng."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["espeak-ng", "-v", "vi", "-w", str(path), text], check=True)
    return path


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


STATION = """
station:
  id: test/station
  name: "Đài truyền thanh thử nghiệm"
  timezone: Asia/Ho_Chi_Minh
"""


class StationFolder:
    """A station folder in a temporary directory, with cached real tone clips."""

    def __init__(self, root: Path, tones: Path) -> None:
        self.root = root
        self.tones = tones

    def schedule(self, text: str, name: str = "station.yaml", station: bool = True) -> Path:
        body = textwrap.dedent(text).lstrip("\n")
        if station:
            body = textwrap.dedent(STATION).lstrip("\n") + body
        return write(self.root, f"schedules/{name}", body)

    def playlist(self, name: str, text: str) -> Path:
        return write(self.root, f"playlists/{name}.yaml", text)

    def clip(self, rel: str, seconds: float = 3.0) -> Path:
        key = f"tone-{seconds:.3f}.wav"
        cached = self.tones / key
        if not cached.exists():
            make_tone(cached, seconds)
        target = self.root / "audio" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, target)
        return target

    def simple_playlist(self, name: str, *clips: str, seconds: float = 3.0) -> None:
        lines = "\n".join(f"  - file: {c}" for c in clips)
        self.playlist(name, f"clips:\n{lines}\n")
        for c in clips:
            self.clip(c, seconds)
