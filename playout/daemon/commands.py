"""What operators ask of the running daemon on the control channel: status, the day's log,
validate, import, reload, level, announce, pause.

Each command arrives on the control channel (``control.py``) on its own thread; the queries are
answered here, the changes of the plan in force (reload, level) are the daemon's own
(``horizon.py``). The daemon does not know this module: ``playout run`` hands it
``Commands(daemon).handle``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playout import reasons
from playout.daemon.asrun import airing_record
from playout.daemon.control import ControlError
from playout.i18n import msg
from playout.library import AudioError, ClipPathError, probe, resolve_clip
from playout.planning import Airing, Placement
from playout.priority import give_way
from playout.schedule import Priority
from playout.store import Trigger

if TYPE_CHECKING:
    from playout.daemon.service import Daemon

log = logging.getLogger("playout.daemon")

ANNOUNCE = "announcement"


class Commands:
    def __init__(self, daemon: Daemon) -> None:
        self.d = daemon
        self._announced = 0
        self._count = threading.Lock()  # announcements come on control threads at once
        self._importing = threading.Lock()  # one import at a time beside the air

    def handle(self, cmd: str, args: dict[str, Any], operator: str) -> Any:
        """A command from the control channel (see control.py). Runs on its own thread."""
        commands: dict[str, Callable[[], Any]] = {
            "ping": lambda: "pong",
            "status": self.status,
            "log": lambda: self.log(args.get("day")),
            "validate": self.validate,
            "import": lambda: self.import_clip(args),
            "reload": lambda: self.d.horizon.reload("playout reload"),
            "level": lambda: self.d.horizon.set_level(
                _int(args, "level"),
                _when(args.get("until")),
                str(args.get("reason", "")),
                operator,
            ),
            "announce": lambda: self.announce(
                str(args.get("clip", "")),
                str(args.get("mode", "now")),
                _int(args, "repeat", 1),
                _int(args, "every", 600),
                operator,
            ),
            "pause": lambda: self.pause(_when(args.get("until")), operator),
            "resume": lambda: self.pause(None, operator),
        }
        if cmd not in commands:
            raise ControlError(msg("unknown command {cmd}", cmd=repr(cmd)))
        return commands[cmd]()

    # ------------------------------------------------------------------ validate

    def validate(self) -> dict[str, Any]:
        """``playout validate`` of this daemon's station folder, with its warm clip checks."""
        if self.d.validator is None:
            raise ControlError(msg("this daemon cannot validate (it was started without a folder)"))
        return self.d.validator()

    # ------------------------------------------------------------------ import

    def import_clip(self, args: dict[str, Any]) -> dict[str, Any]:
        """``playout library import`` of one file, here, where the libraries are loaded (the
        command alone spends ~1 s importing them). The work runs in ffmpeg processes and in
        numpy, which lets go of the interpreter, beside the airings' threads."""
        d = self.d
        if d.importer is None or d.root is None:
            raise ControlError(msg("this daemon cannot import (it was started without a folder)"))
        source, root = Path(str(args.get("source", ""))), Path(str(args.get("root", "")))
        if not source.is_absolute():
            raise ControlError(msg("the file to import must be given with its absolute path"))
        if root.resolve() != d.root.resolve():
            raise ControlError(
                msg(
                    "this daemon serves the station folder {ours}, not {theirs}",
                    ours=str(d.root),
                    theirs=str(root),
                )
            )
        title, into = args.get("title"), str(args.get("into") or "")
        give_way()  # this connection's thread, and the ffmpeg processes it starts
        with self._importing:
            started = time.monotonic()
            record = d.importer(source, into, None if title is None else str(title))
        log.info(
            "library import %s: %s %s(%.1f s)",
            source,
            record["status"],
            f"-> {record['file']} " if "file" in record else f"({record.get('error')}) ",
            time.monotonic() - started,
        )
        return record

    # ------------------------------------------------------------------ log

    def log(self, day: Any) -> dict[str, Any]:
        """The as-run log of ``day`` (ISO date; default: the station's today)."""
        d = self.d
        try:
            when = date.fromisoformat(str(day)) if day else d.horizon.today(d.clock.now())
        except ValueError as exc:
            raise ControlError(msg("not a date: {day}", day=repr(day))) from exc
        return {
            "station": d.horizon.schedule.station.id,
            "timezone": d.horizon.schedule.station.timezone,
            "day": when.isoformat(),
            "rows": [airing_record(row) for row in d.direct.rows(when, when)],
        }

    # ------------------------------------------------------------------ status

    def status(self) -> dict[str, Any]:
        d = self.d
        assert d.engine is not None and d.asrun is not None
        now = d.clock.now()
        today = d.horizon.today(now)
        on_air = None
        if (current := d.engine.now_on_air()) is not None:
            elapsed = (now - current.started).total_seconds()
            on_air = {
                "airing_id": current.airing.airing_id,
                "campaign": current.airing.campaign,
                "clip": current.airing.clip,
                "trigger": current.trigger.value,
                "elapsed_s": round(elapsed, 1),
                "remaining_s": round(max(current.airing.duration_ms / 1000 - elapsed, 0), 1),
            }
        logged = d.asrun.logged_ids(today - timedelta(days=1), today + timedelta(days=2))
        with d.horizon.plan_lock:
            waiting = sorted({*d.horizon.booked.values(), *d.queue.items()})
        upcoming = [
            {
                "airing_id": i.airing.airing_id,
                "start": i.start.astimezone(d.tz).isoformat(),
                "campaign": i.airing.campaign,
                "clip": i.airing.clip,
                "trigger": i.trigger.value,
            }
            for i in waiting
            if i.airing.airing_id not in logged and i.start >= now - d.horizon.audio.late_grace
        ][:10]
        counts: dict[str, dict[str, int]] = {}
        for a in d.horizon.plans.get(today, []):
            row = counts.setdefault(a.campaign, {"planned": 0})
            row["planned"] += 1
        try:
            by_campaign = d.direct.today_counts(today)
        except Exception as exc:  # noqa: BLE001 - status must answer while the database is down
            by_campaign = {}
            log.warning("status: cannot read today's counts: %s", exc)
        for campaign, by_status in by_campaign.items():
            row = counts.setdefault(campaign, {"planned": 0})
            row.update(by_status)
        dead = d.output_dead_since
        problems = d.health()
        return {
            "station": d.horizon.schedule.station.id,
            "now": now.astimezone(d.tz).isoformat(),
            "on_air": on_air,
            "next": upcoming,
            "level": d.horizon.level,
            "level_until": d.horizon.level_until.isoformat() if d.horizon.level_until else None,
            "paused_until": paused.isoformat() if (paused := d.engine.paused()) else None,
            "schedule_version": d.horizon.version,
            "last_reload": d.horizon.last_reload,
            "today": counts,
            "uptime_s": round((now - d.started_at).total_seconds()),
            "audio_output": d.player.output,
            "output_dead_since": dead.astimezone(d.tz).isoformat() if dead else None,
            "database": str(d.db.path),
            "as_run_backlog": d.asrun.backlog(),
            "sync": d.sync.state if d.sync is not None else {},
            "clock_jumps": d.horizon.jumps,
            # in English (JSON readers), and as messages the CLI says in the operator's words
            "problems": [str(p) for p in problems],
            "problems_said": [p.as_dict() for p in problems],
        }

    # ------------------------------------------------------------------ announcements, pause

    def announce(
        self, clip: str, mode: str, repeat: int, every_s: int, operator: str
    ) -> dict[str, Any]:
        """An announcement now (interrupting what is on air) or at the next break."""
        d = self.d
        assert d.engine is not None
        if mode not in ("now", "next-break"):
            raise ControlError(msg("unknown announcement mode {mode}", mode=repr(mode)))
        if not 1 <= repeat <= 20:
            raise ControlError(msg("--repeat must be between 1 and 20"))
        try:
            path = Path(clip) if Path(clip).is_absolute() else resolve_clip(d.library, clip)
            duration = probe(path).duration_ms
        except (ClipPathError, AudioError, OSError) as exc:
            raise ControlError(
                msg(
                    "cannot announce {clip}: {reason}",
                    clip=clip,
                    reason=getattr(exc, "said", str(exc)),
                ),
                getattr(exc, "hinted", ""),
            ) from exc
        trigger = Trigger.EMERGENCY if mode == "now" else Trigger.PRIORITY
        now = d.clock.now()
        with self._count:
            self._announced += 1
            number = self._announced
        ids = []
        for n in range(repeat):
            start = now + timedelta(seconds=every_s * n)
            local = start.astimezone(d.tz)
            airing = Airing(
                start=start,
                end=start + timedelta(milliseconds=duration),
                campaign=ANNOUNCE,
                airing_id=f"{local:%Y%m%d}-{ANNOUNCE}-{now.astimezone(d.tz):%H%M%S}"
                f"-{number}-{n + 1}",
                day=local.date(),
                session=ANNOUNCE,
                clip=str(path) if Path(clip).is_absolute() else clip,
                duration_ms=duration,
                priority=Priority.HIGH,
                placement=Placement.SLOT,
            )
            ids.append(airing.airing_id)
            rank = -100 if trigger is Trigger.EMERGENCY else -50
            d.horizon.book(airing, trigger, rank=rank, operator=operator)
        if trigger is Trigger.EMERGENCY:
            d.engine.interrupt(reasons.EMERGENCY.text())
        else:
            d.engine.preempt()
        log.info("announcement %s (%s, by %s): %s", ids[0], mode, operator or "?", clip)
        return {"airings": ids}

    def pause(self, until: datetime | None, operator: str) -> dict[str, Any]:
        d = self.d
        assert d.engine is not None
        if until is not None and until <= d.clock.now():
            raise ControlError(msg("the pause would end in the past"))
        d.engine.pause(until, f"live relay, {operator}" if operator else "live relay")
        log.info("%s by %s", f"paused until {until}" if until else "resumed", operator or "?")
        return {"paused_until": until.isoformat() if until else None}


def _int(args: dict[str, Any], key: str, default: int | None = None) -> int:
    value = args.get(key, default)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ControlError(msg("{key} must be a whole number", key=repr(key))) from exc


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ControlError(msg("not a time: {value}", value=repr(value))) from exc
    if when.tzinfo is None:
        raise ControlError(msg("times must carry their time zone"))
    return when
