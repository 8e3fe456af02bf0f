"""Campaign bundles: what the province publishes and every station pulls (shared by the hub and
the station; no hub packages).

A bundle folder is laid out like a station folder, with campaigns only:

    schedules/*.yaml        campaigns (sessions named, never defined: each station has its own)
    playlists/*.yaml        their playlists
    audio/province/...      their clips (WAV; normalised by the hub when published)

At the station, bundle NAME lands in ``schedules/province/NAME/``, ``playlists/province/NAME/``
and ``audio/province/`` (clips are shared by path and never change: a new clip gets a new name),
so the operator's own files are never touched. The manifest lists every file with its sha256;
nothing is used before its sha256 is checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

BUNDLES_PATH = "/api/v1/bundles"
BLOBS_PATH = "/api/v1/blobs"
BUNDLE_REPORT_PATH = "/api/v1/bundles/report"

NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
PROVINCE_DIR = "province"
KINDS = {"schedules": "schedule", "playlists": "playlist", "audio": "clip"}
MAX_YAML_BYTES = 1 << 20
MAX_CLIP_BYTES = 200 << 20
MAX_FILES = 200
MAX_DEPTH = 6


class UnsafeBundle(ValueError):
    """A manifest that could write outside its folders, or is malformed: refused whole."""


def path_problem(path: str) -> str | None:
    """Why ``path`` (a manifest path) may not be written at a station, or None."""
    if not path or len(path) > 300 or "\\" in path or "\x00" in path or ":" in path:
        return "an empty, over-long or non-POSIX path"
    p = PurePosixPath(path)
    if p.is_absolute():
        return "an absolute path"
    parts = p.parts
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return "a path with '..', '.' or a hidden part"
    if len(parts) < 2 or len(parts) > MAX_DEPTH or parts[0] not in KINDS:
        return "a path outside schedules/, playlists/ and audio/"
    if parts[0] == "audio" and (len(parts) < 3 or parts[1] != PROVINCE_DIR):
        return "a clip outside audio/province/"
    suffix = p.suffix.lower()
    if parts[0] != "audio" and suffix not in (".yaml", ".yml"):
        return "a schedule or playlist that is not a .yaml file"
    if parts[0] == "audio" and suffix != ".wav":
        return "a clip that is not a .wav file"
    return None


def station_path(root: Path, name: str, path: str) -> Path:
    """Where a bundle file lives in the station folder ``root``."""
    parts = PurePosixPath(path).parts
    if parts[0] == "audio":
        return root.joinpath(*parts)
    return root.joinpath(parts[0], PROVINCE_DIR, name, *parts[1:])


@dataclass(frozen=True)
class BundleFile:
    path: str  # in the bundle: schedules/x.yaml, playlists/x.yaml, audio/province/x.wav
    sha256: str
    size: int
    kind: str  # schedule | playlist | clip
    clip: dict[str, Any] = field(default_factory=dict)  # the hub's measurements of a clip

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "sha256": self.sha256,
            "size": self.size,
            "kind": self.kind,
        }
        if self.clip:
            out["clip"] = self.clip
        return out


@dataclass(frozen=True)
class Manifest:
    name: str
    version: int
    files: tuple[BundleFile, ...]
    published_at: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "published_at": self.published_at,
            "files": [f.as_dict() for f in self.files],
        }

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


_SHA = re.compile(r"^[0-9a-f]{64}$")


def parse_manifest(data: Any) -> Manifest:
    """A manifest from the hub, checked whole: any unsafe path or bad field refuses it."""
    if not isinstance(data, dict):
        raise UnsafeBundle("the manifest is not an object")
    name, version, files = data.get("name"), data.get("version"), data.get("files")
    if not isinstance(name, str) or not re.fullmatch(NAME_PATTERN, name):
        raise UnsafeBundle(f"the bundle name {name!r} is not allowed")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise UnsafeBundle(f"bundle {name}: the version {version!r} is not a positive number")
    if not isinstance(files, list) or not 0 < len(files) <= MAX_FILES:
        raise UnsafeBundle(f"bundle {name}: 1 to {MAX_FILES} files expected")
    out: list[BundleFile] = []
    seen: set[str] = set()
    for f in files:
        if not isinstance(f, dict):
            raise UnsafeBundle(f"bundle {name}: a file entry is not an object")
        path, sha, size = f.get("path"), f.get("sha256"), f.get("size")
        if not isinstance(path, str) or (why := path_problem(path)) is not None:
            raise UnsafeBundle(f"bundle {name}: {path!r} is {why or 'not a path'}")
        if path.lower() in seen:
            raise UnsafeBundle(f"bundle {name}: {path} is listed twice")
        seen.add(path.lower())
        if not isinstance(sha, str) or not _SHA.fullmatch(sha):
            raise UnsafeBundle(f"bundle {name}: {path} has no valid sha256")
        kind = KINDS[PurePosixPath(path).parts[0]]
        limit = MAX_CLIP_BYTES if kind == "clip" else MAX_YAML_BYTES
        if not isinstance(size, int) or isinstance(size, bool) or not 0 < size <= limit:
            raise UnsafeBundle(f"bundle {name}: {path} has a size outside 1..{limit} bytes")
        clip = f.get("clip", {})
        if not isinstance(clip, dict):
            raise UnsafeBundle(f"bundle {name}: {path}: the clip figures are not an object")
        out.append(BundleFile(path, sha, size, kind, clip))
    published = data.get("published_at", "")
    return Manifest(name, version, tuple(out), published if isinstance(published, str) else "")
