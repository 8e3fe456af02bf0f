"""The as-run log as the daemon writes it: the air never waits on the database.

:class:`BufferedAsRun` takes the same calls as :class:`~playout.daemon.asrun.AsRunLog`
(``begin``, ``finish``, ``record``, ``heartbeat``, ``store_plan``) but only queues an op and
returns; its own thread writes the ops to the database in order, each with the true times it
was given. While the database cannot be written (locked by another process, disk full,
read-only) the ops wait in a bounded queue and in the preallocated spill file
(``spill.py``); the writer retries with back-off, logs the trouble once as an ERROR, and
``backlog()`` tells ``playout status`` how many rows wait and since when. What was logged is
known in memory, so the daemon never reads the database to decide what to air.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from playout.clock import Clock
from playout.daemon.asrun import AsRunLog
from playout.daemon.ops import Op, OpSink, apply_op
from playout.daemon.spill import Spill
from playout.planning import Airing
from playout.store import Trigger

log = logging.getLogger("playout.daemon")

MAX_OPS = 100_000  # about ten years of a station's airings: memory stays small
BUSY_TIMEOUT_MS = 1500  # the writer gives up on a locked database this fast, then retries
BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass
class _Pending:
    seq: int
    op: Op
    spilled: bool = False


class BufferedAsRun(OpSink):
    def __init__(self, log_: AsRunLog, clock: Clock, spill: Spill | None = None) -> None:
        self.asrun = log_
        self.station_id = log_.station_id
        self.clock = clock
        self.spill = spill
        self._queue: deque[_Pending] = deque()
        self._cond = threading.Condition()
        self._seq = spill.last_seq if spill is not None else 0
        self._known: dict[str, date] = {}
        self._slots: set[tuple[str, int]] = set()  # (campaign, wanted ms) of scheduled rows
        self._beat: Op | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.failing_since: datetime | None = None
        self.last_error = ""
        self.dropped = 0
        self._failures = 0
        self._writing = threading.Lock()  # held while ops go to the database

    def hold(self) -> threading.Lock:
        """``with asrun.hold():`` no op is written meanwhile (the database file is swapped)."""
        return self._writing

    # ------------------------------------------------------------------ what is logged

    def load_known(self, first: date, last: date) -> None:
        """Learn the airing ids (and slots) the database holds for these days (at start)."""
        for airing_id, day in self.asrun.logged_days(first, last):
            self._known[airing_id] = day
        self._slots |= self.asrun.logged_slots(first, last)

    def is_logged(self, airing_id: str) -> bool:
        with self._cond:
            return airing_id in self._known

    def has_aired(self, airing: Airing) -> bool:
        """Logged by its id, or a scheduled airing of the same slot under another id."""
        with self._cond:
            return airing.airing_id in self._known or airing.slot in self._slots

    def logged_ids(self, first: date, last: date) -> set[str]:
        with self._cond:
            return {a for a, day in self._known.items() if first <= day <= last}

    # ------------------------------------------------------------------ the calls

    def submit(self, op: Op, airing: Airing | None = None) -> bool:
        if op.kind == "heartbeat":  # only the latest heartbeat matters
            with self._cond:
                self._beat = op
                self._cond.notify()
            return True
        if airing is not None:
            scheduled = op.data.get("trigger") == Trigger.SCHEDULE.value
            with self._cond:
                if airing.airing_id in self._known or (scheduled and airing.slot in self._slots):
                    return False
                self._known[airing.airing_id] = airing.day
                if scheduled:
                    self._slots.add(airing.slot)
                self._put(op)
            return True
        self._put(op)
        return True

    def _put(self, op: Op) -> None:
        with self._cond:
            if len(self._queue) >= MAX_OPS:
                self.dropped += 1
                if self.dropped == 1:
                    log.error(
                        "the as-run backlog is full (%d rows): new rows are dropped until the "
                        "database can be written",
                        MAX_OPS,
                    )
                return
            self._seq += 1
            self._queue.append(_Pending(self._seq, op))
            self._cond.notify()

    # ------------------------------------------------------------------ status

    def backlog(self) -> dict[str, Any]:
        with self._cond:
            waiting = len(self._queue)
            spilled = sum(p.spilled for p in self._queue)
        return {
            "rows_waiting": waiting,
            "spilled": spilled,
            "failing_since": self.failing_since.isoformat() if self.failing_since else None,
            "last_error": self.last_error,
            "dropped": self.dropped,
        }

    # ------------------------------------------------------------------ the writer thread

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="asrun-writer", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float) -> None:
        """Write what can be written within ``timeout``; spill the rest."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._cond:
            left = list(self._queue)
        self._spill(left)
        if left:
            log.error(
                "stopping with %d as-run row(s) not yet in the database: %s",
                len(left),
                "kept in the spill file, written at the next start"
                if self.spill is not None and self.spill.usable
                else "they are lost (no spill file)",
            )

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and self._beat is None and not self._stopping:
                    self._cond.wait()
                if self._stopping and not self._queue and self._beat is None:
                    return
                batch = list(self._queue)
                beat, self._beat = self._beat, None
            if beat is not None and self.spill is not None:
                self.spill.alive(time.time())
            if self.failing_since is not None:
                self._spill(batch)
            if self._write(batch, beat):
                continue
            self._spill(batch)
            with self._cond:
                if beat is not None and self._beat is None:
                    self._beat = beat  # try again with the next round
                if self._stopping:
                    return
                delay = BACKOFF_S[min(self._failures - 1, len(BACKOFF_S) - 1)]
            deadline = time.monotonic() + delay
            while True:
                with self._cond:
                    left = deadline - time.monotonic()
                    if self._stopping or left <= 0:
                        break
                    self._cond.wait(left)
                    unspilled = [p for p in self._queue if not p.spilled]
                self._spill(unspilled)  # new rows go to the spill file at once

    def _write(self, batch: list[_Pending], beat: Op | None) -> bool:
        """Apply the ops in order; True when all (and the heartbeat) are in the database."""
        with self._writing:
            return self._write_held(batch, beat)

    def _write_held(self, batch: list[_Pending], beat: Op | None) -> bool:
        done = 0
        try:
            for pending in batch:
                with self.asrun.db.session() as s, s.begin():
                    s.execute(text(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}"))
                    apply_op(s, pending.op)
                done += 1
            if beat is not None:
                with self.asrun.db.session() as s, s.begin():
                    s.execute(text(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}"))
                    apply_op(s, beat)
        except (SQLAlchemyError, OSError) as exc:
            self._written(batch[:done])
            self._failed(exc)
            return False
        self._written(batch)
        if self.failing_since is not None:
            log.warning(
                "the as-run log is written again: every row that waited since %s is in the "
                "database with its true times",
                self.failing_since.isoformat(timespec="seconds"),
            )
            self.failing_since = None
            self.last_error = ""
        self._failures = 0
        return True

    def _written(self, ops: list[_Pending]) -> None:
        if not ops:
            return
        with self._cond:
            for _ in ops:
                self._queue.popleft()
        spill = self.spill
        if spill is not None and spill.last_seq > spill.applied:
            spill.mark_applied(ops[-1].seq)

    def _failed(self, exc: Exception) -> None:
        self._failures += 1
        message = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        if self.failing_since is None:
            self.failing_since = self.clock.now()
            with self._cond:
                waiting = len(self._queue)
            log.error(
                "the as-run log cannot be written (%s): the station stays on air; %d row(s) "
                "wait in memory and in the spill file %s and are written, with their true "
                "times, when the database can be written again",
                message,
                waiting,
                self.spill.path if self.spill is not None else "(none)",
            )
        self.last_error = message

    def _spill(self, pending: list[_Pending]) -> None:
        for p in pending:
            if p.spilled or self.spill is None:
                continue
            p.spilled = self.spill.append(p.seq, p.op.to_json())


def replay_spill(spill: Spill, asrun: AsRunLog) -> int:
    """At start: write the ops a previous run left in the spill file. Returns how many."""
    pending = spill.open()
    for _seq, text_ in pending:
        asrun.apply(Op.from_json(text_))
    if pending:
        spill.mark_applied(pending[-1][0])
        log.warning(
            "wrote %d as-run row(s) that the last run could not write to the database", len(pending)
        )
    return len(pending)
