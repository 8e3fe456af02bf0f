"""Items waiting for the output, earliest first (the airer thread takes them one at a time)."""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable

from playout.daemon.engine import Item


class AirQueue:
    def __init__(self) -> None:
        self._heap: list[Item] = []
        self._cond = threading.Condition()

    def put(self, item: Item) -> None:
        with self._cond:
            heapq.heappush(self._heap, item)
            self._cond.notify()

    def get(self, timeout: float) -> Item | None:
        with self._cond:
            if not self._heap:
                self._cond.wait(timeout)
            return heapq.heappop(self._heap) if self._heap else None

    def __len__(self) -> int:
        with self._cond:
            return len(self._heap)

    def items(self) -> list[Item]:
        with self._cond:
            return sorted(self._heap)

    def remove_if(self, drop: Callable[[Item], bool]) -> None:
        with self._cond:
            self._heap = [i for i in self._heap if not drop(i)]
            heapq.heapify(self._heap)
