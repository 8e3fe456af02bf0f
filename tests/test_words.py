"""The operators' language: every message template has its Vietnamese, and what `playout
validate` says about broken schedules reads in Vietnamese with no English left in it."""

from __future__ import annotations

import ast
import re
import string
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from playout.cli import cli
from playout.cli.context import AppContext
from playout.clock import FixedClock
from playout.i18n import Words, _catalogue, language_from, msg
from playout.problems import Location, Problem, did_you_mean, error
from tests.helpers import StationFolder

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
from messages import log_templates, templates  # noqa: E402 (scripts/ is not a package)

# English is every word of the catalogue's English templates (the messages and the daemon's log
# lines), but for the names of things an operator reads on screen or types as they are
TECHNICAL = {
    "playout", "ffmpeg", "ffprobe", "libvlc", "vlc", "lufs", "dbtp", "yaml", "tab", "readme",
    "utf", "notepad", "chrony", "ntp", "tls", "mp3", "wav", "m4a", "amr", "pdf", "word", "excel",
    "office", "rar", "zip", "http", "https", "kib", "gib", "sha256", "watchdog", "windows",
    "python", "debian", "ubuntu", "save", "encoding", "true", "false", "mon", "tue", "wed",
    "thu", "fri", "sat", "sun", "hub", "token", "token_file", "url", "per_day", "frequency",
    "ramp", "levels", "max_spots", "min_gap", "priority", "timezone", "station", "sessions",
    "campaigns", "blackouts", "playlist", "playlists", "clip", "clips", "until", "from", "title",
    "fallback_clip", "schedules", "audio", "dev", "setup", "apt", "install", "vlc-bin",
    "vlc-plugin-base", "administrator", "implemented", "yet", "not", "time", "running",
    "service", "cmos", "example", "bluezone", "morning", "afternoon", "evening", "noon", "ids",
    # commands and their words, typed as they are
    "validate", "plan", "run", "library", "import", "into", "campaign", "accept", "decline",
    "sync", "devices", "rotate", "init", "reload", "status", "log", "doctor", "report", "reason",
    "timedatectl", "systemd", "timesyncd", "tone", "resync", "manualpeerlist", "syncfromflags",
    "manual", "update", "query", "sources", "start",
    # words Vietnamese borrows as they are, and file kinds
    "sqlite", "ntpd", "card", "byte", "video", "web", "internet", "sha", "doc", "xls", "ppt",
    "name",
}  # fmt: skip


def _vocabulary() -> set[str]:
    words: set[str] = set()
    for template in [*templates(), *log_templates()]:
        text = re.sub(r"\{\w*\}|%[-#0 +]*\d*(?:\.\d+)?[sdifrx%]", " ", template)
        words |= {w.lower() for w in re.findall(r"[A-Za-z]{3,}", text)}
    return words - TECHNICAL


ENGLISH = _vocabulary()


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_has_its_vietnamese_with_the_same_fields() -> None:
    vi = _catalogue("vi")
    found = templates()
    missing = [f"{where}: {t}" for t, where in found.items() if not vi.get(t)]
    assert not missing, "run scripts/messages.py --update and translate:\n" + "\n".join(missing)
    wrong = [t for t in found if _fields(vi[t]) != _fields(t)]
    assert not wrong, wrong
    logs = log_templates()
    untranslated = [f"{where}: {t}" for t, where in logs.items() if not vi.get(t)]
    assert not untranslated, "the daemon's log lines:\n" + "\n".join(untranslated)
    wrong = [t for t in logs if _conversions(vi[t]) != _conversions(t)]
    assert not wrong, wrong  # the same %s, %d ... in the same order: the arguments fit
    stale = [t for t in vi if t not in found and t not in logs]
    assert not stale, f"in vi.po but no longer in the code: {stale}"


def _conversions(template: str) -> list[str]:
    return re.findall(r"%[-#0 +]*\d*(?:\.\d+)?[sdifrx%]", template)


def test_the_daemons_log_lines_in_vietnamese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The daemon logs its English format strings; the screen and the log file read them in
    the operator's language, the flood filter's summary included."""
    import logging

    from playout.cli.run import setup_logging

    root = logging.getLogger()
    before = list(root.handlers)
    log_file = tmp_path / "playout.log"
    flood = setup_logging("info", log_file, Words("vi"))
    added = [h for h in root.handlers if h not in before]
    try:
        logger = logging.getLogger("playout.daemon")
        logger.info(
            "on air: station %s, audio output %s, %d airing(s) waiting; level %d",
            "long-an/tan-an", "pulse", 12, 1,
        )  # fmt: skip
        logger.warning("missed %s: station off air", "20200805-bluezone-0630")
        for _ in range(3):
            logger.warning("hub upload failed (the rows wait in the station database): %s", "x")
        held = next(seen for key, seen in flood._seen.items() if "hub upload" in key[2])
        held.emitted -= 3600  # as if the first was an hour ago: the next carries the summary
        logger.warning("hub upload failed (the rows wait in the station database): %s", "x")
        logger.info("a line of someone else's with %s", "no translation")
        logger.error(  # a message as an argument is said in the same language
            "unhealthy (%s): not telling the watchdog", msg("the scheduler is not running")
        )
    finally:
        for h in added:
            root.removeHandler(h)
            h.close()
    text = log_file.read_text(encoding="utf-8")
    assert "đang phát sóng: đài long-an/tan-an, đầu ra âm thanh pulse, 12 lượt phát" in text
    assert "bị lỡ 20200805-bluezone-0630: đài không phát" in text
    assert "gửi lên máy chủ tỉnh bị lỗi" in text
    assert "(lặp lại 2 lần từ " in text, text  # the flood filter's summary
    assert "a line of someone else's with no translation" in text  # as it is
    assert "(bộ lập lịch không chạy)" in text
    assert "on air:" not in text and "missed" not in text
    assert capsys.readouterr().err.count("đang phát sóng") == 1


def test_a_message_renders_in_either_language_and_survives_json() -> None:
    problem = error(
        Location("schedules/a.yaml", 3, 5),
        msg('unknown key "{name}"', name="sesions"),
        did_you_mean("sesions", ["sessions", "campaigns"]),
    )
    assert problem.message == 'unknown key "sesions"'  # English, as logs and JSON keep it
    back = Problem.from_dict(problem.as_dict())
    assert back.format(Words("vi")) == (
        'schedules/a.yaml:3:5: lỗi: khóa "sesions" không có trong định dạng\n'
        '    gợi ý: có phải ý bạn là "sessions"?'
    )
    assert back.format(Words("en")) == (
        'schedules/a.yaml:3:5: error: unknown key "sesions"\n    hint: did you mean "sessions"?'
    )


def test_the_language_is_vietnamese_unless_told() -> None:
    assert language_from(None, {}) == "vi"
    assert language_from(None, {"PLAYOUT_LANG": "en"}) == "en"
    assert language_from("vi", {"PLAYOUT_LANG": "en"}) == "vi"
    assert language_from(None, {"PLAYOUT_LANG": "fr"}) == "vi"


BROKEN = {
    "tab": 'sessions:\n\tmorning: {start: "05:30", end: "06:30"}\n',
    "no colon": 'sessions:\n  morning {start: "05:30", end: "06:30"}\n  evening:\n',
    "open quote": 'sessions:\n  morning: {start: "05:30, end: "06:30"}\n',
    "unknown key": 'sesions:\n  morning: {start: "05:30", end: "06:30"}\n',
    "bad time and date": """
        sessions:
          morning: {start: "25:00", end: "06:30"}
        campaigns:
          - id: bluezone
            playlist: bluezone
            from: 31/02/2020
            per_day: 2
        """,
    "references": """
        sessions:
          morning: {start: "06:30", end: "05:30"}
          noon: {start: "11:00", end: "12:00"}
          lunch: {start: "11:30", end: "12:30"}
        campaigns:
          - id: bluezone
            playlist: bluezon
            sessions: [evening]
            from: 05/08/2020
            until: 01/08/2020
            per_day: 2
            at: ["06:00"]
          - id: bluezone
            clip: bluezone/a.wav
            from: 05/08/2020
            per_day: many
        """,
    "types": """
        sessions:
          morning: {start: "05:30", end: "06:30", days: [mon, funday]}
        campaigns:
          - playlist: bluezone
            from: 05/08/2020
            per_day: 2
        """,
    "outside": """
        sessions:
          morning: {start: "05:30", end: "06:30"}
        campaigns:
          - id: bluezone
            playlist: bluezone
            from: 05/08/2020
            at: ["07:00"]
        """,
}


def _english_left(line: str) -> set[str]:
    """English words in a line, its file:line, quoted values and YAML keys aside."""
    text = re.sub(r"^\S+:\d+(:\d+)?:", "", line.strip())
    text = re.sub(r'"[^"]*"|\'[^\']*\'', "", text)
    text = re.sub(r"\S*/\S*", "", text)  # paths: /tmp/..., audio/bluezone/loi-keu-goi.wav
    text = re.sub(r"\b\w+(?:-\w+)+\b", "", text)  # slugs and ids: loi-keu-goi
    # where in the file, as YAML keys: "sessions.morning.start:", "campaigns #2.per_day:"
    text = re.sub(r"\b[a-z_]+(?: #\d+)?(?:\.[a-z_]+(?: #\d+)?)*:", "", text)
    text = re.sub(r"\b\w+_\w+\b", "", text)  # keys: per_day, min_gap, max_spots
    text = re.sub(r"\b[a-z-]+/[a-z-]+\b", "", text)  # station ids
    return {w for w in re.findall(r"[A-Za-z]{3,}", text) if w.lower() in ENGLISH}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_validate_speaks_vietnamese(station: StationFolder, case: str) -> None:
    station.schedule(BROKEN[case])
    station.simple_playlist("bluezone", "bluezone/a.wav")
    result = CliRunner().invoke(
        cli,
        ["--dir", str(station.root), "--lang", "vi", "validate"],
        obj=AppContext(root=station.root, clock=FixedClock(datetime(2020, 8, 20, tzinfo=UTC))),
    )
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines, result.output
    assert result.exit_code == (0 if case == "outside" else 1), result.output
    leftovers = {line: _english_left(line) for line in lines}
    assert not any(leftovers.values()), "\n".join(
        f"{sorted(words)} in: {line}" for line, words in leftovers.items() if words
    )
    # the words it is meant to use are there
    said = result.output
    assert ("lỗi" in said and "KHÔNG hợp lệ" in said) or "cảnh báo" in said, said


def test_init_asks_and_writes_in_vietnamese(tmp_path: Path) -> None:
    root = tmp_path / "moi"
    made = CliRunner().invoke(
        cli,
        ["--lang", "vi", "init", str(root)],
        input="Long An/Tan An\nlong-an/thu-thua\nĐài Thủ Thừa\nXã Thủ Thừa\nLong An\n"
        "5h-6h\n05:30-06:30, 16:30-17:30\n",
    )
    assert made.exit_code == 0, made.output
    for said in ("mã đài", "tên đài", "không phải là một buổi phát", "đã tạo", "nhập các tin bài"):
        assert said in made.output, made.output
    # the prompts' answers are the operator's words, not ours: leave them out
    ours = made.output.replace("Long An/Tan An", "").replace("5h-6h", "").replace("Long An", "")
    leftovers = {line: _english_left(line) for line in ours.splitlines()}
    assert not any(leftovers.values()), {k: v for k, v in leftovers.items() if v}
    text = (root / "schedules" / "station.yaml").read_text(encoding="utf-8")
    assert "# các buổi phát thanh" in text and "theo giờ của đài" in text
    comments = [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]
    assert not any(_english_left(c) for c in comments if "playout init" in c), comments
    valid = CliRunner().invoke(cli, ["--dir", str(root), "--lang", "vi", "validate"])
    assert valid.exit_code == 0 and "HỢP LỆ" in valid.output, valid.output


def test_doctor_speaks_vietnamese(tmp_path: Path) -> None:
    """Every line of doctor but the versions libvlc and ffmpeg print of themselves."""
    import shutil

    root = tmp_path / "sample"
    repo = Path(__file__).resolve().parent.parent
    for part in ("schedules", "playlists", "audio"):
        shutil.copytree(repo / part, root / part)
    result = CliRunner().invoke(cli, ["--dir", str(root), "--lang", "vi", "doctor", "--no-tone"])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert any(line.startswith("tốt") and "đài" in line for line in lines), result.output
    own = [line for line in lines if not re.search(r"\b(libvlc|ffmpeg) +(libvlc|ffmpeg) ", line)]
    leftovers = {line: _english_left(line) for line in own}
    assert not any(leftovers.values()), {k: v for k, v in leftovers.items() if v}


def test_validate_speaks_vietnamese_about_clips(station: StationFolder) -> None:
    station.schedule(BROKEN["outside"].replace('at: ["07:00"]', "per_day: 1"))
    station.clip("bluezone/a.wav")
    docx = station.root / "audio" / "bluezone" / "thu-moi.docx"
    docx.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    station.playlist(
        "bluezone",
        "clips:\n  - file: bluezone/a.wav\n  - file: bluezone/khong-co.wav\n"
        "  - file: bluezone/thu-moi.docx\n  - file: ../ngoai.wav\n",
    )
    result = CliRunner().invoke(
        cli, ["--dir", str(station.root), "--lang", "vi", "validate"], obj=AppContext(station.root)
    )
    assert result.exit_code == 1, result.output
    for said in ("không có tin bài", "là một văn bản Word, không phải bản ghi âm", "trỏ ra ngoài"):
        assert said in result.output, result.output
    leftovers = {line: _english_left(line) for line in result.output.splitlines()}
    assert not any(leftovers.values()), {k: v for k, v in leftovers.items() if v}


def test_library_import_speaks_vietnamese(station: StationFolder, tmp_path: Path) -> None:
    station.schedule(BROKEN["outside"].replace('at: ["07:00"]', "per_day: 1"))
    good = station.clip("../incoming/loi-keu-goi.wav")
    letter = tmp_path / "cong-van.docx"
    letter.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    db = tmp_path / "st.db"
    result = CliRunner().invoke(
        cli,
        ["--dir", str(station.root), "--db", str(db), "--lang", "vi", "library", "import",
         str(good), str(letter), "--into", "bluezone"],
        obj=AppContext(station.root),
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # one of two refused
    for said in ("đã nhập", "cắt", "từ chối", "là một văn bản Word", "1 trên 2 tệp bị từ chối"):
        assert said in result.output, result.output
    leftovers = {line: _english_left(line) for line in result.output.splitlines()}
    assert not any(leftovers.values()), {k: v for k, v in leftovers.items() if v}


# English a translation may keep: names of things the operator reads on screen or types
KEPT = ("Save As -> Encoding: UTF-8", "(ffmpeg: not yet implemented)", "Windows Time",
        "(lặp lại", "Running as a service")  # fmt: skip


@pytest.mark.parametrize("kind", ["messages", "log lines"])
def test_no_translation_is_left_in_english(kind: str) -> None:
    """Every Vietnamese entry of the catalogue, its fields and the commands, keys and paths it
    names aside, holds no English word."""
    vi = _catalogue("vi")
    keys = templates() if kind == "messages" else log_templates()
    found = {}
    for template in keys:
        text = vi[template]
        for kept in KEPT:
            text = text.replace(kept, "")
        text = re.sub(r"\{\w*\}|%[-#0 +]*\d*(?:\.\d+)?[sdifrx%]", "", text)  # fields
        text = re.sub(r"(playout|sudo|chronyc|w32tm|systemctl)( [-\w./]+)*", "", text)  # commands
        text = re.sub(r"\b[\w.-]*/[\w./-]*", "", text)  # paths: schedules/, audio/FOLDER
        text = re.sub(r"--[\w-]+|\b\w+(?:\.\w+)+", "", text)  # --to, station.audio.output
        left = _english_left(text)
        if left:
            found[template] = (sorted(left), vi[template])
    assert not found, found


SHOWN = ("echo", "secho", "prompt", "PlayoutError", "BadParameter", "UsageError", "print_table")


def _literal_words(node: ast.AST) -> list[str]:
    """The words of the text a shown argument spells out itself: its string literals, the
    literal parts of an f-string, both sides of a "+" or an "if ... else" (what is computed,
    a key, a ``msg(...)`` rendered by the catalogue, is not its own text)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return re.findall(r"[A-Za-z]{3,}", node.value)
    if isinstance(node, ast.JoinedStr):
        return [w for part in node.values for w in _literal_words(part)]
    if isinstance(node, ast.BinOp):
        return _literal_words(node.left) + _literal_words(node.right)
    if isinstance(node, ast.IfExp):
        return _literal_words(node.body) + _literal_words(node.orelse)
    return []


def test_the_station_commands_show_no_english_of_their_own() -> None:
    """What a station-side command prints goes through the catalogue: no English literal is
    echoed, prompted or raised as it is (the hub's commands, for the province's staff, aside)."""
    found = []
    for path in sorted((REPO / "playout" / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name not in SHOWN:
                continue
            english = [w for w in _literal_words(node.args[0]) if w.lower() in ENGLISH]
            if english:
                found.append(f"{path.name}:{node.lineno}: {english}")
    assert not found, found


def test_the_reports_and_dashboards_words_come_from_the_catalogue() -> None:
    """Every entry of the report's, the dashboard's and the stored reasons' tables has its
    Vietnamese in vi.po (one catalogue with the messages), with the same fields; no entry is
    left over."""
    from messages import table_entries, tables

    from playout.i18n import _entries, table

    vi = _entries("vi")
    wanted = table_entries()
    missing = [f"{where}: [{c}] {t}" for (c, t), where in wanted.items() if (c, t) not in vi]
    assert not missing, "run scripts/messages.py --update and translate:\n" + "\n".join(missing)
    assert not [k for k in wanted if _fields(vi[k]) != _fields(k[1])]
    stale = [k for k in vi if k[0] is not None and k not in wanted]
    assert not stale, f"in vi.po but no longer in the code: {stale}"
    for name, english in tables().items():
        said = table("vi", name, english)
        assert said.keys() == english.keys()
        first = {"report": "title", "dashboard": "login", "reason": "off_air"}[name]
        assert said[first] != english[first]
    assert table("vi", "report", tables()["report"])["station"] == "Đơn vị"  # atop the report
    assert table("vi", "report", tables()["report"])["station_name"] == "Đài"  # in its columns
