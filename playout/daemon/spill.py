"""A preallocated spill file for as-run ops the database cannot take yet.

When the database is locked, full or read-only, the daemon's writer appends each waiting op
here (and fsyncs) so that a crash before the database recovers loses nothing: the next start
replays the file into the database. The file is allocated in full when the daemon starts
(``SIZE``), so writing into it still works on a disk that has since filled up. It also keeps
the time the daemon was last alive, rewritten in place at every heartbeat and every half second
while an airing is on air (so an airing cut by a crash is logged with what played, within a
second).

Layout: a 4 KiB header (magic, the highest sequence number already in the database, the last
alive time), then records ``[u32 length][u32 crc32][u64 seq][JSON]`` written one after the
other. When the database has caught up the write position goes back to the start; old records
then have a sequence number at or below the header's and are ignored, and a torn or stale
record stops the reading (its CRC does not match).
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import zlib
from pathlib import Path

log = logging.getLogger("playout.daemon")

MAGIC = b"PLAYOUT-SPILL-1\0"
HEADER = struct.Struct("<16sqd")  # magic, applied seq, last alive (unix time)
RECORD = struct.Struct("<IIq")  # length, crc32 of the payload, seq
DATA_START = 4096
SIZE = 4 * 1024 * 1024


class Spill:
    def __init__(self, path: Path, size: int = SIZE) -> None:
        self.path = path
        self.size = size
        self._fd: int | None = None
        self._pos = DATA_START
        self.applied = 0
        self.last_seq = 0
        self.last_alive: float | None = None
        self._header = threading.Lock()  # the writer and the progress thread both rewrite it

    @property
    def usable(self) -> bool:
        return self._fd is not None

    def open(self) -> list[tuple[int, str]]:
        """Open (creating and allocating it) and return the records not yet in the database."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < self.size:
                if hasattr(os, "posix_fallocate"):
                    os.posix_fallocate(fd, 0, self.size)
                else:  # pragma: no cover - Windows
                    os.ftruncate(fd, self.size)
            header = os.pread(fd, HEADER.size, 0)
        except OSError:
            os.close(fd)
            raise
        self._fd = fd
        pending: list[tuple[int, str]] = []
        if len(header) == HEADER.size and header.startswith(MAGIC):
            _magic, self.applied, alive = HEADER.unpack(header)
            self.last_alive = alive or None
            pending = self._read_records()
        else:
            self._write_header()
        self.last_seq = max([self.applied, *(seq for seq, _ in pending)])
        return pending

    def _read_records(self) -> list[tuple[int, str]]:
        assert self._fd is not None
        found: list[tuple[int, str]] = []
        pos = DATA_START
        while pos + RECORD.size <= self.size:
            head = os.pread(self._fd, RECORD.size, pos)
            length, crc, seq = RECORD.unpack(head)
            if length == 0 or pos + RECORD.size + length > self.size:
                break
            payload = os.pread(self._fd, length, pos + RECORD.size)
            if zlib.crc32(payload) != crc:
                break
            if seq > self.applied:
                found.append((seq, payload.decode("utf-8")))
            pos += RECORD.size + length
        return found

    def append(self, seq: int, text: str) -> bool:
        """Write one record and fsync it; False if the file is full or cannot be written."""
        if self._fd is None:
            return False
        payload = text.encode("utf-8")
        end = self._pos + RECORD.size + len(payload)
        if end + RECORD.size > self.size:
            return False
        record = RECORD.pack(len(payload), zlib.crc32(payload), seq) + payload
        # a zero length after the record ends the reading there (stale records follow)
        try:
            os.pwrite(self._fd, record + b"\0" * RECORD.size, self._pos)
            os.fsync(self._fd)
        except OSError as exc:
            log.error("cannot write the spill file %s: %s", self.path, exc.strerror)
            return False
        self._pos = end
        self.last_seq = max(self.last_seq, seq)
        return True

    def mark_applied(self, seq: int) -> None:
        """Everything up to ``seq`` is in the database; rewind when nothing is left."""
        self.applied = max(self.applied, seq)
        if self._fd is None:
            return
        self._write_header()
        if self.applied >= self.last_seq:
            self._pos = DATA_START

    def alive(self, when: float) -> None:
        self.last_alive = when
        if self._fd is not None:
            self._write_header()

    def _write_header(self) -> None:
        with self._header:
            fd = self._fd
            if fd is None:
                return
            header = HEADER.pack(MAGIC, self.applied, self.last_alive or 0.0)
            try:
                os.pwrite(fd, header, 0)
                os.fdatasync(fd) if hasattr(os, "fdatasync") else os.fsync(fd)
            except OSError as exc:
                log.error("cannot write the spill file %s: %s", self.path, exc.strerror)

    def close(self) -> None:
        with self._header:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
