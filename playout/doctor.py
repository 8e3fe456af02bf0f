"""``playout doctor``: can this PC air? One check per line: ok, warning or error, with what to do.

Each check is a function returning a :class:`Check`; the clock parsers are pure functions of a
tool's output (tested with tables). The sound check really plays a one-second tone on the
configured output and asks libvlc whether audio buffers were played (as the daemon does).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playout.i18n import Text, msg
from playout.problems import PlayoutError

OK, WARNING, ERROR = "ok", "warning", "error"
LOW_DISK = 1 << 30  # warn below 1 GiB free
NO_DISK = 100 << 20  # error below 100 MiB free
SERVICE = "playout"


@dataclass(frozen=True)
class Check:
    name: str
    level: str  # ok | warning | error
    message: Text
    hint: Text = ""

    def as_dict(self) -> dict[str, str]:
        """JSON (for scripts): the English text."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self)}


# ------------------------------------------------------------------------ clock parsers (pure)


def parse_timedatectl(text: str) -> bool | None:
    """``timedatectl show -p NTPSynchronized``: synchronised, or None when it does not say."""
    found = re.search(r"^NTPSynchronized=(yes|no)\s*$", text, re.MULTILINE)
    return None if found is None else found[1] == "yes"


def parse_chrony(text: str) -> tuple[bool, float | None]:
    """``chronyc tracking``: (synchronised, offset in seconds, + when the clock is fast)."""
    offset = None
    found = re.search(r"^System time\s*:\s*([\d.]+) seconds (fast|slow)", text, re.MULTILINE)
    if found:
        offset = float(found[1]) * (1 if found[2] == "fast" else -1)
    leap = re.search(r"^Leap status\s*:\s*(.+?)\s*$", text, re.MULTILINE)
    return (leap is not None and leap[1] == "Normal"), offset


def parse_w32tm(text: str) -> tuple[bool, str]:
    """``w32tm /query /status``: (synchronised, the source)."""
    source = re.search(r"^Source:\s*(.+?)\s*$", text, re.MULTILINE)
    name = source[1] if source else ""
    synced = bool(name) and "Local CMOS Clock" not in name and "Free-running" not in name
    return synced, name


def _run(args: list[str], timeout: float = 5.0) -> str | None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def clock_check() -> Check:
    """Is the wall clock kept by NTP? A drifting clock moves every airing."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        out = _run(["w32tm", "/query", "/status"])
        if out is None:
            return Check(
                "clock",
                WARNING,
                msg("cannot ask Windows Time (w32tm)"),
                msg("run as administrator"),
            )
        synced, source = parse_w32tm(out)
        if synced:
            return Check(
                "clock", OK, msg("synchronised by Windows Time from {source}", source=source)
            )
        return Check(
            "clock", ERROR, msg("not synchronised (source: {source})", source=source or "-"),
            "w32tm /config /manualpeerlist:pool.ntp.org /syncfromflags:manual /update; "
            "w32tm /resync",
        )  # fmt: skip
    out = _run(["chronyc", "tracking"]) if shutil.which("chronyc") else None
    if out is not None:
        synced, offset = parse_chrony(out)
        where: Text = (
            msg("; offset {ms} ms", ms=f"{offset * 1000:+.1f}") if offset is not None else ""
        )
        if synced and (offset is None or abs(offset) < 1.0):
            return Check("clock", OK, msg("synchronised by chrony{where}", where=where))
        return Check(
            "clock",
            ERROR,
            msg("chrony is not synchronised{where}", where=where),
            "chronyc sources -v",
        )
    out = _run(["timedatectl", "show", "-p", "NTPSynchronized", "-p", "NTP"])
    ntp = parse_timedatectl(out) if out is not None else None
    if ntp:
        return Check("clock", OK, msg("synchronised (systemd-timesyncd or ntpd)"))
    if ntp is False:
        return Check(
            "clock", ERROR, msg("the clock is not synchronised by NTP: airings drift with it"),
            msg("sudo timedatectl set-ntp true (and let the PC reach an NTP server)"),
        )  # fmt: skip
    return Check(
        "clock", WARNING,
        msg("cannot tell whether the clock is synchronised (no timedatectl, chrony)"),
        msg("install chrony or systemd-timesyncd so the PC keeps the right time"),
    )  # fmt: skip


# ------------------------------------------------------------------------ the other checks


def libvlc_check() -> Check:
    try:
        from playout.player.vlc import libvlc_version
    except (ImportError, OSError) as exc:
        return Check(
            "libvlc", ERROR, msg("libvlc cannot be loaded: {error}", error=str(exc)),
            msg(
                "install VLC (Debian/Ubuntu: sudo apt install vlc-bin vlc-plugin-base; Windows: "
                "VLC of the same bitness as Python)"
            ),
        )  # fmt: skip
    text = libvlc_version()
    bits = 64 if sys.maxsize > 2**32 else 32
    return Check("libvlc", OK, f"libvlc {text} (Python {bits}-bit)")


def ffmpeg_check() -> Check:
    from playout.library.probe import tool

    found = []
    for name in ("ffmpeg", "ffprobe"):
        try:
            path = tool(name)
        except PlayoutError as exc:
            return Check("ffmpeg", ERROR, exc.said, exc.hinted)
        out = _run([path, "-version"]) or ""
        found.append(out.splitlines()[0] if out else f"{name} at {path}")
    return Check("ffmpeg", OK, found[0])


@dataclass
class Station:
    """What the checks know about the station folder."""

    root: Path
    timezone: str = ""
    database: Path | None = None
    output: str = ""
    device: str | None = None


def station_check(station: Station) -> Check:
    from playout.station_folder import database_path, load_station

    loaded = load_station(station.root, capacity=False)
    if loaded.schedule is None:
        first: Text = (
            msg(
                "{where}: {message}",
                where=str(loaded.errors[0].location),
                message=loaded.errors[0].said or loaded.errors[0].message,
            )
            if loaded.errors
            else msg("no schedule")
        )
        return Check(
            "station", ERROR,
            msg("{n} error(s) in the station folder: {first}", n=len(loaded.errors), first=first),
            msg("playout validate lists them all with file:line"),
        )  # fmt: skip
    s = loaded.schedule.station
    station.timezone, station.output, station.device = s.timezone, s.audio.output, s.audio.device
    station.database = database_path(station.root, s, None)
    if loaded.warnings:
        return Check(
            "station", WARNING,
            msg("{id}: valid, {n} warning(s)", id=s.id, n=len(loaded.warnings)),
            msg("playout validate shows them"),
        )  # fmt: skip
    return Check("station", OK, msg("{id}: schedule, playlists and clips are valid", id=s.id))


def timezone_check(station: Station, now: datetime) -> Check:
    if not station.timezone:
        return Check("timezone", WARNING, msg("unknown (the station folder did not load)"))
    here = now.astimezone(ZoneInfo(station.timezone))
    local = now.astimezone()
    text = f"{station.timezone}: {here:%d/%m/%Y %H:%M}"
    if here.utcoffset() != local.utcoffset():
        return Check(
            "timezone", WARNING,
            msg("{zone}; this PC's clock shows {time} ({name})", zone=text,
                time=f"{local:%H:%M}", name=local.tzname()),
            msg(
                "playout airs in the station's zone, but the operators may be misled: set the "
                "PC's zone to {zone}",
                zone=station.timezone,
            ),
        )  # fmt: skip
    return Check("timezone", OK, text)


def database_check(station: Station) -> Check:
    path = station.database
    if path is None:
        return Check("database", WARNING, msg("unknown (the station folder did not load)"))
    if not path.exists():
        return Check(
            "database", WARNING, msg("{path} does not exist yet", path=str(path)),
            "playout library import",
        )  # fmt: skip
    try:
        conn = sqlite3.connect(path, timeout=5)
        try:
            result = conn.execute("PRAGMA quick_check").fetchone()[0]
            conn.execute("BEGIN IMMEDIATE")  # can we write? (released at once)
            conn.rollback()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Check("database", ERROR, f"{path}: {exc}", msg("check its permissions and the disk"))
    if result != "ok":
        return Check(
            "database", ERROR,
            msg("{path}: integrity check failed: {result}", path=str(path), result=result),
            msg("stop the daemon and restore the last backup"),
        )  # fmt: skip
    free = shutil.disk_usage(path.parent).free
    text = msg(
        "{path}: writable, integrity ok, {free} GiB free",
        path=str(path),
        free=f"{free / (1 << 30):.1f}",
    )
    if free < NO_DISK:
        return Check("database", ERROR, text, msg("free disk space now: the as-run log needs it"))
    if free < LOW_DISK:
        return Check("database", WARNING, text, msg("free some disk space"))
    return Check("database", OK, text)


def sound_check(station: Station, output: str | None, device: str | None) -> Check:
    """Play a one-second tone on the station's output; ok only if libvlc played buffers."""
    from playout.player import PlayerError
    from playout.player.vlc import VlcPlayer, audio_outputs

    chosen = output or station.output or "auto"
    with tempfile.TemporaryDirectory(prefix="playout-doctor-") as tmp:
        tone = Path(tmp) / "tone.wav"
        from playout.library.probe import tool

        made = subprocess.run(
            [tool("ffmpeg"), "-v", "error", "-f", "lavfi", "-i",
             "sine=frequency=1000:sample_rate=48000:duration=1", "-af", "volume=0.1", str(tone)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if made.returncode != 0:
            return Check(
                "sound", ERROR, msg("cannot make the test tone: {error}", error=made.stderr.strip())
            )
        try:
            player = VlcPlayer(output=chosen, device=device or station.device)
        except PlayerError as exc:
            return Check(
                "sound", ERROR, msg("output {output}: {error}", output=chosen, error=str(exc)),
                msg("playout devices lists them"),
            )  # fmt: skip
        try:
            result = player.play(player.cue(tone, 1000))
        except PlayerError as exc:
            return Check(
                "sound", ERROR,
                msg("output {output}: {error}", output=player.output, error=str(exc)),
                "playout devices",
            )  # fmt: skip
        finally:
            player.close()
    if result.outcome.value != "completed":
        return Check(
            "sound", ERROR,
            msg("output {output}: the tone did not play ({why})", output=player.output,
                why=result.reason),
            msg("check the sound card, the cable and the mixer; playout devices lists the outputs"),
        )  # fmt: skip
    known = [name for name, _, _ in audio_outputs()]
    if chosen not in ("auto", *known):  # libvlc then falls back to an output of its choice
        return Check(
            "sound", WARNING,
            msg('the output "{output}" is unknown to libvlc; the tone played on its default output',
                output=chosen),
            msg("set station.audio.output to one of: {known} (playout devices)",
                known=", ".join(known)),
        )  # fmt: skip
    return Check("sound", OK, msg("a 1 s tone played on {output}", output=player.output))


def service_check() -> Check:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        out = _run(["sc", "query", SERVICE])
        if out is None:
            return Check("service", WARNING, msg("the playout service is not installed"))
        running = "RUNNING" in out
        return Check(
            "service",
            OK if running else WARNING,
            msg("installed, running") if running else msg("installed, stopped"),
        )
    out = _run(["systemctl", "is-active", SERVICE])
    if out is None:
        enabled = _run(["systemctl", "is-enabled", SERVICE])
        if enabled is None:
            return Check(
                "service", WARNING, msg("the playout service is not installed or not running"),
                msg("see docs/operator/service.md"),
            )  # fmt: skip
        return Check(
            "service", WARNING, msg("installed but not running"), f"sudo systemctl start {SERVICE}"
        )
    return Check(
        "service", OK, msg("{service}.service is {state}", service=SERVICE, state=out.strip())
    )


def run_checks(
    root: Path,
    now: datetime,
    *,
    tone: bool = True,
    output: str | None = None,
    device: str | None = None,
    daemon_running: Callable[[], bool] | None = None,
) -> list[Check]:
    station = Station(root)
    checks = [libvlc_check(), ffmpeg_check(), station_check(station)]
    checks += [timezone_check(station, now), database_check(station), clock_check()]
    if not tone:
        checks.append(Check("sound", WARNING, msg("not checked (--no-tone)")))
    elif daemon_running is not None and daemon_running():
        checks.append(
            Check(
                "sound", OK, msg("the daemon is on air (playout status shows its output's health)")
            )
        )
    elif checks[0].level == ERROR:
        checks.append(Check("sound", ERROR, msg("not checked: libvlc is missing")))
    else:
        checks.append(sound_check(station, output, device))
    checks.append(service_check())
    return checks


def summary(checks: list[Check]) -> dict[str, Any]:
    return {
        "ok": not any(c.level == ERROR for c in checks),
        "checks": [c.as_dict() for c in checks],
    }
