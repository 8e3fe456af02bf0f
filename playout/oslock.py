"""An OS lock on a file: released by the OS when the process dies, however it dies."""

from __future__ import annotations

import sys
from typing import IO

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def lock_file(fh: IO[str]) -> None:
        """Lock ``fh`` or raise OSError at once when another process holds it."""
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)

else:
    import fcntl

    def lock_file(fh: IO[str]) -> None:
        """Lock ``fh`` or raise OSError at once when another process holds it."""
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
