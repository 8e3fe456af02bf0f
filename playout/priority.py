"""Work that must give way to the air (an import on the station PC)."""

from __future__ import annotations

import contextlib
import os
import threading

NICENESS = 10


def give_way() -> None:
    """Lower the CPU priority of the calling thread (Linux: a thread has its own; elsewhere the
    call may fail and is ignored), and so of the processes it starts: what airs on the same PC
    gets the CPU first. It cannot be raised again without privileges: call it on a thread or
    in a process that ends with the work (a control connection's thread, a command)."""
    with contextlib.suppress(AttributeError, OSError):
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        os.setpriority(os.PRIO_PROCESS, tid, max(current, NICENESS))
