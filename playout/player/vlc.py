"""The libvlc backend (python-vlc). The only module that imports vlc.

* One libvlc instance, one media player, ``--file-caching=0`` so the audio is a faithful copy
  and starts after a fixed, measurable output latency (see docs/operator/faults.md).
* libvlc events are only put on a queue in the callback (libvlc is not reentrant); this
  module's own thread reads the queue and calls libvlc.
* A clip is completed only if audio buffers really reached the output: with no usable output
  libvlc still reports Playing and EndReached, so the media statistics are checked.
* libvlc's own log is read through a callback: an error from the audio output during an
  airing (a PulseAudio server that went away, a USB card unplugged) interrupts it with what
  really played, because libvlc goes on counting buffers into a dead output. The player is
  then rebuilt before the next clip (with back-off), so airings play again when the output
  comes back.
* Seconds played are media time: when the process is frozen (SIGSTOP, an overloaded or
  suspended machine) the output runs dry; the airing is stopped and logged interrupted at the
  point the audio stopped, never with the wall-clock time of the freeze.
* ``stop`` and ``release`` run in a helper thread with a timeout, so a hung libvlc cannot
  freeze the daemon; the player is then replaced.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vlc

from playout import reasons
from playout.player.base import Cue, Outcome, Player, PlayerError, PlayResult, check_file, judge

log = logging.getLogger(__name__)

# reading a local file's header takes milliseconds; on a loaded PC (or the first parse after
# libvlc loads its modules) it took over 3.5 s once: an airing cued late airs late, never fails
PARSE_TIMEOUT_S = 10.0
START_TIMEOUT_S = 3.0
STALL_S = 3.0
OVERRUN_S = 5.0
STOP_TIMEOUT_S = 2.0
POLL_S = 0.02
STATS_WAIT_S = 1.5
FREEZE_S = 1.0  # a gap this long between two polls: the process was frozen, the output ran dry
REBUILD_BACKOFF_S = (0.0, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
LIBVLC_ERROR = 4  # libvlc log level of errors


def libvlc_version() -> str:
    """The version of the libvlc python-vlc loaded (for ``playout doctor``)."""
    version = vlc.libvlc_get_version()
    return version.decode() if isinstance(version, bytes) else str(version)


def _libc_vsnprintf() -> Any:
    name = "msvcrt" if sys.platform == "win32" else ctypes.util.find_library("c")
    try:
        fn = ctypes.CDLL(name).vsnprintf if name else None
    except (OSError, AttributeError):
        return None
    if fn is not None:
        fn.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
    return fn


_VSNPRINTF = _libc_vsnprintf()


class _OutputErrors:
    """libvlc error messages, taken from libvlc's log callback (any libvlc thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0
        self.first = ""
        self.callback = vlc.CallbackDecorators.LogCb(self._on_log)  # kept: ctypes needs it

    def _on_log(self, _data: Any, level: int, _ctx: Any, fmt: Any, args: Any) -> None:
        if level < LIBVLC_ERROR:
            return
        text = ""
        try:
            if _VSNPRINTF is not None:
                buf = ctypes.create_string_buffer(512)
                _VSNPRINTF(buf, 512, fmt, args)
                text = buf.value.decode("utf-8", "replace")
            else:
                raw = ctypes.cast(fmt, ctypes.c_char_p).value
                text = raw.decode("utf-8", "replace") if raw else "libvlc error"
        except (ValueError, UnicodeError, AttributeError):
            text = "libvlc error"
        with self._lock:
            if self.count == 0:
                self.first = text
            self.count += 1

    def take(self) -> tuple[int, str]:
        with self._lock:
            found = (self.count, self.first)
            self.count, self.first = 0, ""
        return found


@dataclass(frozen=True)
class _Event:
    kind: str
    at: float  # time.monotonic() when libvlc reported it


def _call_with_timeout(fn: Callable[[], Any], what: str) -> bool:
    """Run a libvlc call that may hang; False if it did not return in time."""
    done = threading.Event()

    def run() -> None:
        try:
            fn()
        finally:
            done.set()

    threading.Thread(target=run, name=f"vlc-{what}", daemon=True).start()
    if not done.wait(STOP_TIMEOUT_S):
        log.error("libvlc %s did not return within %.0f s; abandoning it", what, STOP_TIMEOUT_S)
        return False
    return True


class VlcPlayer(Player):
    def __init__(
        self, output: str = "pulse", device: str | None = None, options: tuple[str, ...] = ()
    ) -> None:
        args = ["--no-video", "--quiet", "--file-caching=0", "--no-media-library"]
        if output:
            args.append(f"--aout={output}")
        args.extend(options)
        self._args = args
        self._errors = _OutputErrors()
        self._instance = self._new_instance()
        self.output = output + (f": {device}" if device else "")
        self._device = device
        self._events: queue.Queue[_Event] = queue.Queue()
        self._stop = threading.Event()
        self._player = self._new_player()
        self._broken = 0  # output failures in a row; the player is rebuilt before the next clip
        self._rebuilt_at = 0.0

    def _new_instance(self) -> Any:
        instance = vlc.Instance(self._args)
        if instance is None:
            raise PlayerError(f"libvlc could not start with the options {' '.join(self._args)}")
        instance.log_set(self._errors.callback, None)
        return instance

    @property
    def output_ok(self) -> bool:
        return self._broken == 0

    def _rebuild(self) -> None:
        """A new libvlc instance and player after an output failure (with back-off)."""
        wait = REBUILD_BACKOFF_S[min(self._broken - 1, len(REBUILD_BACKOFF_S) - 1)]
        if time.monotonic() - self._rebuilt_at < wait:
            return
        self._rebuilt_at = time.monotonic()
        old_player, old_instance = self._player, self._instance
        try:
            self._instance = self._new_instance()
        except PlayerError as exc:
            log.error("cannot rebuild the audio player: %s", exc)
            return
        self._player = self._new_player()
        _call_with_timeout(old_player.release, "release")
        _call_with_timeout(old_instance.release, "release")
        log.warning("audio player rebuilt after an output failure (%s)", self.output)

    def _new_player(self) -> Any:
        player = self._instance.media_player_new()
        if self._device:
            player.audio_output_device_set(None, self._device)
        manager = player.event_manager()
        kinds = {
            vlc.EventType.MediaPlayerPlaying: "playing",
            vlc.EventType.MediaPlayerEndReached: "end",
            vlc.EventType.MediaPlayerEncounteredError: "error",
            vlc.EventType.MediaPlayerStopped: "stopped",
        }
        for event_type, kind in kinds.items():
            manager.event_attach(event_type, self._on_event, kind)
        return player

    def _on_event(self, _event: Any, kind: str) -> None:
        # libvlc thread: no libvlc calls here, only hand the event over
        self._events.put(_Event(kind, time.monotonic()))

    def cue(self, path: Path, expected_ms: int) -> Cue:
        check_file(path)
        if self._broken:
            self._rebuild()
        media = self._instance.media_new_path(str(path))
        if media is None:
            raise PlayerError(reasons.VLC_CANNOT_OPEN.text(path=path))
        media.parse_with_options(vlc.MediaParseFlag.local, int(PARSE_TIMEOUT_S * 1000))
        deadline = time.monotonic() + PARSE_TIMEOUT_S + 0.5
        status = media.get_parsed_status()
        while status == 0 and time.monotonic() < deadline:  # 0 = not parsed yet
            time.sleep(0.005)
            status = media.get_parsed_status()
        if status != vlc.MediaParsedStatus.done:
            media.release()
            raise PlayerError(reasons.VLC_CANNOT_READ.text(state=status, path=path))
        tracks = [t for t in (media.tracks_get() or []) if t.type == vlc.TrackType.audio]
        if not tracks:
            media.release()
            raise PlayerError(reasons.NO_AUDIO_TRACK.text(path=path))
        return Cue(path, expected_ms, handle=media)

    def play(self, cue: Cue, on_start: Callable[[], None] | None = None) -> PlayResult:
        self._take(cue)
        media: Any = cue.handle
        self._drain()
        self._errors.take()
        self._stop.clear()
        self._player.set_media(media)
        if self._player.play() != 0:
            return PlayResult(Outcome.FAILED, 0, reasons.REFUSED.text())
        try:
            result = self._follow(cue, media, on_start)
        finally:
            media.release()
        if result.outcome is Outcome.INTERRUPTED and reasons.STOPPED.matches(result.reason):
            return result
        if reasons.NO_AUDIO.matches(result.reason) or reasons.OUTPUT_FAILED.matches(result.reason):
            self._broken += 1
        else:
            self._broken = 0
        return result

    def _follow(self, cue: Cue, media: Any, on_start: Callable[[], None] | None) -> PlayResult:
        started: float | None = None
        requested = time.monotonic()
        last_pos, last_move = -1, requested
        previous = requested
        while True:
            try:
                event = self._events.get(timeout=POLL_S)
            except queue.Empty:
                event = None
            now = time.monotonic()
            frozen = now - previous
            previous = now
            if event is not None and event.kind == "playing" and started is None:
                started = event.at
                last_move = now
                if on_start is not None:
                    on_start()
                continue
            played = int((now - started) * 1000) if started is not None else 0
            if self._stop.is_set():
                self._halt()
                return PlayResult(Outcome.INTERRUPTED, played, reasons.STOPPED.text())
            if started is not None and frozen > FREEZE_S:
                self._halt()
                heard = max(last_pos, 0)
                return PlayResult(
                    Outcome.INTERRUPTED,
                    heard,
                    reasons.FROZEN_AIRING.text(frozen=f"{frozen:.1f}", at=f"{heard / 1000:.1f}"),
                )
            errors, first = self._errors.take() if started is not None else (0, "")
            if errors:
                self._halt()
                heard = max(last_pos, 0)
                if heard == 0:
                    return PlayResult(Outcome.FAILED, 0, self._no_audio(first))
                return PlayResult(
                    Outcome.INTERRUPTED,
                    heard,
                    reasons.OUTPUT_FAILED.text(
                        at=f"{heard / 1000:.1f}", detail=f"{self.output}: {first}"
                    ),
                )
            if event is not None and event.kind == "end":
                played = int((event.at - started) * 1000) if started is not None else 0
                return self._finish(cue, media, played)
            if event is not None and event.kind in ("error", "stopped"):
                self._halt()
                return PlayResult(
                    Outcome.FAILED, played, reasons.VLC_REPORTED.text(kind=event.kind)
                )
            if started is None:
                if now - requested > START_TIMEOUT_S:
                    self._halt()
                    return PlayResult(Outcome.FAILED, 0, reasons.NOT_STARTED.text())
                continue
            pos = self._player.get_time()
            if pos != last_pos:
                last_pos, last_move = pos, now
            elif now - last_move > STALL_S:
                self._halt()
                return PlayResult(
                    Outcome.FAILED, max(pos, 0), reasons.STALLED.text(at=f"{pos / 1000:.1f}")
                )
            if played > cue.expected_ms + OVERRUN_S * 1000:
                self._halt()
                return PlayResult(Outcome.FAILED, played, reasons.OVERRAN.text())

    def _finish(self, cue: Cue, media: Any, played: int) -> PlayResult:
        # libvlc updates the statistics a little after the end: give them up to 1.5 s
        stats = vlc.MediaStats()
        deadline = time.monotonic() + STATS_WAIT_S
        while media.get_stats(stats) and stats.played_abuffers == 0:
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        errors, first = self._errors.take()
        if errors or stats.played_abuffers == 0:
            return PlayResult(Outcome.FAILED, 0, self._no_audio(first))
        return judge(played, cue.expected_ms)

    def _no_audio(self, error: str) -> str:
        why = f": {error}" if error else ""
        return reasons.NO_AUDIO.text(detail=f"{self.output}{why}")

    def _halt(self) -> None:
        if not _call_with_timeout(self._player.stop, "stop"):
            self._player = self._new_player()  # the old one is left to its fate
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                self._events.get_nowait()
            except queue.Empty:
                return

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        player, instance = self._player, self._instance
        _call_with_timeout(player.stop, "stop")
        _call_with_timeout(player.release, "release")
        _call_with_timeout(instance.release, "release")


def audio_outputs() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(module, description, [(device id, description)]) for every libvlc audio output."""
    instance = vlc.Instance(["--quiet"])
    found = []
    try:
        for out in instance.audio_output_enumerate_devices() or []:
            name = out["name"].decode() if isinstance(out["name"], bytes) else str(out["name"])
            desc = out.get("description", name)
            desc = desc.decode() if isinstance(desc, bytes) else str(desc)
            devices = [
                (
                    d["device"].decode() if isinstance(d["device"], bytes) else str(d["device"]),
                    d["description"].decode()
                    if isinstance(d["description"], bytes)
                    else str(d["description"]),
                )
                for d in out.get("devices", [])
            ]
            found.append((name, desc, devices))
    finally:
        instance.release()
    return found
