"""The sha256 of a clip file as it is on disk now, re-read only when the file changed."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

_Key = tuple[int, int, int, int, int]


def _key(st: os.stat_result) -> _Key:
    # ctime cannot be set back by ordinary tools, so a replaced or rewritten file always shows
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class Fingerprints:
    """sha256 of files, cached by (device, inode, size, mtime, ctime)."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[_Key, str]] = {}
        self._lock = threading.Lock()

    def sha256(self, path: Path) -> str:
        """The file's sha256 now (OSError when it cannot be read)."""
        key = _key(path.stat())
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        with path.open("rb") as fh:
            st = os.fstat(fh.fileno())
            value = hashlib.file_digest(fh, "sha256").hexdigest()
        with self._lock:
            self._cache[path] = (_key(st), value)
        return value
