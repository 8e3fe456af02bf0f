"""The dashboard's words in Vietnamese (default) and English, and the formats of times."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playout import reasons
from playout.hub.web.state import Verdict
from playout.reports.text import LABELS as REPORT_LABELS

LANGS = ("vi", "en")

WORDS: dict[str, dict[str, str]] = {
    "vi": {
        "app": "Theo dõi phát sóng",
        "login": "Đăng nhập",
        "user": "Tên đăng nhập",
        "password": "Mật khẩu",
        "logout": "Đăng xuất",
        "bad_login": "Sai tên đăng nhập hoặc mật khẩu.",
        "locked": "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {minutes} phút, "
        "hoặc nhờ quản trị viên đặt lại mật khẩu.",
        "too_many": "Quá nhiều lần đăng nhập sai từ máy này. Hãy thử lại sau ít phút.",
        "overview": "Tổng quan",
        "reports": "Báo cáo",
        "only_problems": "Chỉ các đài có vấn đề",
        "show_all": "Tất cả các đài",
        "state": "Trạng thái",
        "station": "Đài",
        "district": "Huyện, thị xã, thành phố",
        "commune": "Xã, phường, đặc khu",
        "area": "Địa bàn",
        "last_contact": "Liên lạc lần cuối",
        "today": "Hôm nay (đã phát / kế hoạch)",
        "missed": "Bỏ lỡ",
        "month_share": "Tháng này đạt chỉ tiêu",
        "no_stations": "Chưa có đài nào.",
        "no_problems": "Không có đài nào có vấn đề.",
        "updated": "Cập nhật lúc {time}",
        "stations_count": "{n} đài",
        "red": "Có vấn đề",
        "amber": "Chậm",
        "green": "Bình thường",
        "grey": "Chưa kết nối",
        "silent": "Mất liên lạc từ {since} trong buổi phát {session}",
        "missed_today": "{count} lượt bỏ lỡ hôm nay",
        "behind": "Mới phát {aired}/{due} lượt đến giờ",
        "no_plan": "Chưa có kế hoạch phát hôm nay",
        "resting": "Ngoài giờ phát",
        "on_track": "Đúng kế hoạch",
        "never_connected": "Chưa kết nối lần nào",
        "just_now": "vừa xong",
        "minutes_ago": "{n} phút trước",
        "hours_ago": "{n} giờ trước",
        "days_ago": "{n} ngày trước",
        "never": "chưa bao giờ",
        "as_run": "Nhật ký phát sóng hôm nay, {day}",
        "time": "Giờ",
        "on_air_at": "Phát lúc",
        "clip": "Tin bài",
        "campaign": "Chiến dịch",
        "status": "Trạng thái",
        "reason": "Lý do",
        "upcoming": "sắp phát",
        "unreported": "chưa báo cáo",
        "playing": "đang phát",
        "nothing_today": "Hôm nay chưa có lượt phát nào.",
        "month": "Tháng {month}: đã phát so với chỉ tiêu",
        "clips": "Tin bài có tại đài",
        "duration": "Thời lượng",
        "loudness": "Độ lớn (LUFS)",
        "imported": "Nhập lúc",
        "no_clips": "Đài chưa gửi danh sách tin bài.",
        "level": "Mức cảnh báo",
        "level_normal": "Bình thường (mức 1)",
        "level_now": "Mức {level} từ {since}",
        "sync": "Đồng bộ",
        "technical": "Chi tiết kỹ thuật (cho người quản trị)",
        "acked": "Đã nhận đến số thứ tự",
        "software": "Phần mềm",
        "refused_rows": "Dòng bị từ chối",
        "province_report": "Báo cáo tổng hợp của tỉnh",
        "report_month": "Tháng (MM/YYYY)",
        "all_areas": "Tất cả",
        "format": "Định dạng",
        "format_xlsx": "Bảng tính Excel (.xlsx)",
        "format_csv": "Bảng dữ liệu CSV (.csv)",
        "format_html": "Trang in (.html)",
        "lang_vi": "Tiếng Việt",
        "lang_en": "Tiếng Anh",
        "language": "Ngôn ngữ",
        "download": "Tải về",
        "forbidden": "Bạn không có quyền xem trang này.",
        "not_found": "Không tìm thấy trang này.",
        "csrf": "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang rồi thử lại.",
        "back": "Về trang tổng quan",
        "print": "In",
        "campaigns": "Chiến dịch",
        "bundles_title": "Chiến dịch của tỉnh gửi các đài",
        "bundle": "Gói chiến dịch",
        "version": "Phiên bản",
        "audience": "Gửi đến",
        "r_withdrawn": "tỉnh đã thu hồi gói",
        "r_declined": "người trực máy đã từ chối",
        "r_review": "chờ người trực máy duyệt",
        "published": "Phát hành",
        "no_bundles": "Chưa có gói chiến dịch nào.",
        "not_yet": "chưa nhận",
        "applied": "đang chạy",
        "waiting": "chờ đài duyệt",
        "refused": "bị từ chối",
        "declined": "đài không nhận",
        "removed": "đã gỡ",
        "withdrawn": "đã thu hồi",
        "older": "(bản cũ: v{version})",
        "since": "Từ",
    },
    "en": {
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
    },
}

REASON_KEYS = {"missed": "missed_today"}  # verdict reasons whose word key differs


SESSION_NAMES = {"vi": {"morning": "sáng", "noon": "trưa", "afternoon": "chiều", "evening": "tối"}}


class Words:
    def __init__(self, lang: str, zone: str) -> None:
        self.lang = lang if lang in WORDS else "vi"
        self.t = WORDS[self.lang]
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
        said = SESSION_NAMES.get(self.lang, {}).get(base)
        if said is None or (n and not n.isdigit()):
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
            if text == WORDS["en"][key]:
                return self.t[key]
        return text

    def status(self, status: str) -> str:
        if status in self.t:
            return self.t[status]
        return REPORT_LABELS[self.lang].get(status, status).lower()

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
        seconds = round(ms / 1000)
        return f"{seconds // 60}:{seconds % 60:02d}"
