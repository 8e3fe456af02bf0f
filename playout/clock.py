"""Time sources. Code below the CLI never calls ``datetime.now()``: it is handed a Clock."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...

    def wait(self, seconds: float, event: threading.Event | None = None) -> bool:
        """Let ``seconds`` pass, or less if ``event`` is set; True when it was set."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def wait(self, seconds: float, event: threading.Event | None = None) -> bool:
        if event is not None:
            return event.wait(max(seconds, 0.0))
        time.sleep(max(seconds, 0.0))
        return False


class FixedClock:
    """A clock that stands still until moved: for tests and simulations."""

    def __init__(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = instant

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def wait(self, seconds: float, event: threading.Event | None = None) -> bool:
        if event is not None and event.is_set():
            return True
        self._now += timedelta(seconds=max(seconds, 0.0))
        return event is not None and event.is_set()

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = instant
