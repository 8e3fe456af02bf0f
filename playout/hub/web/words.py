"""The dashboard's words in Vietnamese (default; from the message catalogue) and English, and the
formats of times."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playout import reasons
from playout.hub.web.state import Verdict
from playout.i18n import table
from playout.reports.text import Words as ReportWords
from playout.schedule.values import format_duration

LANGS = ("vi", "en")

# The dashboard's words in English; the Vietnamese are in the message catalogue
# (playout/locale/vi.po, context "dashboard:<key>").
ENGLISH: dict[str, str] = {
    "app": "Broadcast dashboard",
    "login": "Log in",
    "user": "User name",
    "password": "Password",
    "logout": "Log out",
    "bad_login": "Wrong user name or password.",
    "locked": "Too many failed logins. Try again in {minutes} min, or ask the administrator "
    "to set a new password.",
    "too_many": "Too many failed logins from this computer. Try again in a few minutes.",
    "overview": "Overview",
    "reports": "Reports",
    "only_problems": "Only stations with problems",
    "show_all": "All stations",
    "state": "State",
    "station": "Station",
    "district": "District",
    "commune": "Commune, ward",
    "area": "Area",
    "last_contact": "Last contact",
    "today": "Today (aired / planned)",
    "missed": "Missed",
    "month_share": "Month: target met",
    "no_stations": "No stations yet.",
    "no_problems": "No station has a problem.",
    "updated": "Updated at {time}",
    "stations_count": "{n} stations",
    "red": "Problem",
    "amber": "Behind",
    "green": "On track",
    "grey": "Never connected",
    "silent": "No contact since {since} during session {session}",
    "missed_today": "{count} missed today",
    "behind": "Aired {aired} of {due} due so far",
    "no_plan": "No plan for today",
    "resting": "Outside its sessions",
    "on_track": "On track",
    "never_connected": "Never connected",
    "just_now": "just now",
    "minutes_ago": "{n} min ago",
    "hours_ago": "{n} h ago",
    "days_ago": "{n} days ago",
    "never": "never",
    "as_run": "Today's as-run log, {day}",
    "time": "Time",
    "on_air_at": "On air at",
    "clip": "Clip",
    "campaign": "Campaign",
    "status": "Status",
    "reason": "Reason",
    "upcoming": "upcoming",
    "unreported": "not reported",
    "playing": "on air",
    "nothing_today": "No airing today yet.",
    "month": "{month}: aired against the target",
    "clips": "Clips at the station",
    "duration": "Duration",
    "loudness": "Loudness (LUFS)",
    "imported": "Imported",
    "no_clips": "The station has not sent its clips.",
    "level": "Alert level",
    "level_normal": "Normal (level 1)",
    "level_now": "Level {level} since {since}",
    "sync": "Sync",
    "technical": "Technical details (for the administrator)",
    "acked": "Received up to sequence",
    "software": "Software",
    "refused_rows": "Rows refused",
    "province_report": "The province report",
    "report_month": "Month (MM/YYYY)",
    "all_areas": "All",
    "format": "Format",
    "format_xlsx": "Excel workbook (.xlsx)",
    "format_csv": "CSV table (.csv)",
    "format_html": "Printable page (.html)",
    "lang_vi": "Vietnamese",
    "lang_en": "English",
    "language": "Language",
    "download": "Download",
    "forbidden": "You may not see this page.",
    "not_found": "There is no such page.",
    "csrf": "The form has expired or is not valid. Reload the page and try again.",
    "back": "Back to the overview",
    "print": "Print",
    "campaigns": "Campaigns",
    "bundles_title": "Campaigns the province sends to the stations",
    "bundle": "Bundle",
    "version": "Version",
    "audience": "Sent to",
    "r_withdrawn": "withdrawn by the province",
    "r_declined": "declined by the operator",
    "r_review": "waiting for the operator (hub.campaigns: review)",
    "published": "Published",
    "no_bundles": "No campaign bundles yet.",
    "not_yet": "not yet",
    "applied": "running",
    "waiting": "waiting for the station",
    "refused": "refused",
    "declined": "declined by the station",
    "removed": "removed",
    "withdrawn": "withdrawn",
    "older": "(older: v{version})",
    "since": "Since",
    # the session names ``playout init`` gives (a name a station chose is shown as it is)
    "session_morning": "morning",
    "session_noon": "noon",
    "session_afternoon": "afternoon",
    "session_evening": "evening",
}

REASON_KEYS = {"missed": "missed_today"}  # verdict reasons whose word key differs


class Words:
    def __init__(self, lang: str, zone: str) -> None:
        self.lang = lang if lang in LANGS else "vi"
        self.t = table(self.lang, "dashboard", ENGLISH)
        self.report = ReportWords(self.lang)
        self.zone = ZoneInfo(zone)

    def __getitem__(self, key: str) -> str:
        return self.t[key]

    def say(self, key: str, **params: object) -> str:
        return self.t[REASON_KEYS.get(key, key)].format(**params)

    def verdict(self, verdict: Verdict, now: datetime) -> str:
        params: dict[str, object] = {}
        for key, value in verdict.params.items():
            if isinstance(value, datetime):  # a time today, else the date too
                same_day = value.astimezone(self.zone).date() == now.astimezone(self.zone).date()
                value = self.clock(value, seconds=False) if same_day else self.when(value)
            if key == "session" and isinstance(value, str):
                value = self.session(value)
            params[key] = value
        return self.say(verdict.reason, **params)

    def session(self, name: str) -> str:
        """A session's name as the page's language says it: the names ``playout init`` gives
        by the start time (morning, noon, afternoon, evening, and morning-2 ...) in words; a name
        the station chose itself as it is."""
        base, _, n = name.partition("-")
        said = self.t.get(f"session_{base}")
        if said is None or said == base or (n and not n.isdigit()):
            return name
        return f"{said} {n}" if n else said

    def reason(self, text: str) -> str:
        """A stored airing reason in this page's language."""
        return reasons.render(text, self.lang)

    def audience(self, audience: str) -> str:
        """Whom a bundle is sent to: all stations, an area's name, a station's id."""
        if audience == "all":
            return self.t["show_all"]
        return audience.partition(":")[2] or audience

    def rollout_reason(self, text: str) -> str:
        """A station's word on a bundle: the station's fixed phrases in this page's language;
        a refusal's list of problems (written by the station) as it came."""
        for key in ("r_withdrawn", "r_declined", "r_review"):
            if text == ENGLISH[key]:
                return self.t[key]
        return text

    def status(self, status: str) -> str:
        if status in self.t:
            return self.t[status]
        return self.report.t.get(status, status).lower()

    def when(self, at: datetime | None, *, seconds: bool = False) -> str:
        if at is None:
            return ""
        local = at.astimezone(self.zone)
        return local.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")

    def clock(self, at: datetime | None, *, seconds: bool = True) -> str:
        if at is None:
            return ""
        return at.astimezone(self.zone).strftime("%H:%M:%S" if seconds else "%H:%M")

    def ago(self, at: datetime | None, now: datetime) -> str:
        if at is None:
            return self.t["never"]
        gap = now - at
        if gap < timedelta(minutes=1):
            return self.t["just_now"]
        if gap < timedelta(hours=1):
            return self.t["minutes_ago"].format(n=int(gap.total_seconds() // 60))
        if gap < timedelta(days=1):
            return self.t["hours_ago"].format(n=int(gap.total_seconds() // 3600))
        return self.t["days_ago"].format(n=gap.days)

    def share(self, value: float | None) -> str:
        if value is None:
            return "—"
        return f"{value * 100:.0f}%"

    def duration(self, ms: int) -> str:
        """A clip's length as the reports write it (m:ss, h:mm:ss from an hour)."""
        return format_duration(ms / 1000)
