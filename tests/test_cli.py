"""The command line, through click's CliRunner and as the installed ``playout`` program."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from playout.cli import cli
from playout.cli.context import AppContext
from playout.clock import FixedClock
from tests.helpers import REPO, StationFolder


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the bundled sample station."""
    root = tmp_path / "sample"
    for part in ("schedules", "playlists", "audio"):
        shutil.copytree(REPO / part, root / part)
    return root


def run(root: Path, *args: str, now: datetime | None = None) -> tuple[int, str, str]:
    runner = CliRunner()
    obj = AppContext(root=root, clock=FixedClock(now or datetime(2020, 8, 20, 3, 0, tzinfo=UTC)))
    result = runner.invoke(cli, ["--dir", str(root), *args], obj=obj)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_validate_the_sample(sample: Path) -> None:
    code, out, _ = run(sample, "validate")
    assert code == 0
    assert "OK: station long-an/tan-an, 3 sessions, 2 campaigns, 4 clips" in out


def test_validate_reports_errors_with_locations_and_exit_1(sample: Path) -> None:
    path = sample / "schedules/tan-an.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("min_gap: 10m", "min_gapp: 10m"), encoding="utf-8")
    code, out, _ = run(sample, "validate")
    assert code == 1
    line = 1 + text.splitlines().index(next(x for x in text.splitlines() if "min_gap" in x))
    assert f'schedules/tan-an.yaml:{line}:5: error: campaigns #1: unknown key "min_gapp"' in out
    assert 'hint: did you mean "min_gap"?' in out
    assert "NOT valid" in out


def test_validate_a_single_file(sample: Path) -> None:
    code, out, _ = run(sample, "validate", str(sample / "playlists/bluezone.yaml"))
    assert code == 1
    assert "no schedule files found" in out


def test_plan_table_for_the_first_week(sample: Path) -> None:
    code, out, _ = run(sample, "plan", "--from", "05/08/2020", "--to", "11/08/2020")
    assert code == 0, out
    assert "Plan for long-an/tan-an, 05/08/2020 - 11/08/2020" in out
    assert "05/08/2020  05:45:00  morning    covid-5k" in out
    assert "Every requested airing is placed." in out


def test_plan_defaults_to_the_current_week_in_the_station_zone(sample: Path) -> None:
    # 20/08/2020 03:00 UTC is Thursday 10:00 in Vietnam: the week is Mon 17 - Sun 23
    code, out, _ = run(sample, "plan")
    assert code == 0
    assert "17/08/2020 - 23/08/2020" in out


def test_plan_json(sample: Path) -> None:
    code, out, _ = run(
        sample, "plan", "--from", "2020-08-23", "--to", "2020-08-23", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["station"] == "long-an/tan-an"
    counts = {c["campaign"]: (c["requested"], c["placed"]) for c in data["counts"]}
    assert counts == {"bluezone": (5, 5), "covid-5k": (3, 3)}
    first = next(a for a in data["airings"] if a["campaign"] == "covid-5k")
    assert first["start"] == "2020-08-23T05:45:00.000+07:00"
    assert first["airing_id"] == "20200823-covid-5k-0545"  # named by its at time


def test_plan_csv_and_alert_level(sample: Path) -> None:
    code, out, _ = run(
        sample,
        "plan",
        "--from",
        "24/08/2020",
        "--to",
        "24/08/2020",
        "--format",
        "csv",
        "--level",
        "3",
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {r["date"] for r in rows} == {"24/08/2020"}
    assert sum(r["campaign"] == "bluezone" for r in rows) >= 6
    _, normal, _ = run(
        sample, "plan", "--from", "24/08/2020", "--to", "24/08/2020", "--format", "csv"
    )
    assert sum(r["campaign"] == "bluezone" for r in csv.DictReader(io.StringIO(normal))) == 5


def test_plan_shows_shortfalls(station: StationFolder) -> None:
    station.schedule(
        """
sessions:
  morning: {start: "05:30", end: "05:35"}
campaigns:
  - id: c
    playlist: p
    from: 05/08/2020
    per_day: 4
    min_gap: 2m
"""
    )
    station.simple_playlist("p", "a.wav")
    code, out, _err = run(station.root, "plan", "--from", "05/08/2020", "--to", "05/08/2020")
    assert code == 0
    assert "05/08/2020  3/4 !" in out
    assert "Not placed: 1" in out
    assert "no free time left (blackouts and other airings, min_gap 2m)" in out


def test_plan_refuses_an_invalid_schedule(sample: Path) -> None:
    (sample / "audio/covid/thong-diep-5k.wav").unlink()
    code, _, err = run(sample, "plan")
    assert code == 1
    assert (
        'clip "covid/thong-diep-5k.wav": the clip "covid/thong-diep-5k.wav" does not exist' in err
    )
    assert "playout: the schedule has errors, so no plan can be made" in err


def test_bad_dates_on_the_command_line(sample: Path) -> None:
    code, _, err = run(sample, "plan", "--from", "31/02/2020")
    assert code == 2
    assert '"31/02/2020" is not a date: 02/2020 has 29 days' in err
    code, _, err = run(sample, "plan", "--from", "10/08/2020", "--to", "01/08/2020")
    assert code == 1
    assert "--to 01/08/2020 is before --from 10/08/2020" in err


def test_installed_command(sample: Path) -> None:
    exe = Path(sys.executable).parent / "playout"
    assert exe.exists(), "the console script is installed with the package"
    env = {**os.environ, "PLAYOUT_DIR": str(sample)}
    proc = subprocess.run(
        [str(exe), "plan", "--from", "05/08/2020", "--to", "05/08/2020"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "20200805-bluezone-01" in proc.stdout
    nowhere = {**env, "PLAYOUT_DIR": str(sample / "nowhere")}
    proc = subprocess.run(
        [str(exe), "validate"], capture_output=True, text=True, env=nowhere, check=False
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout


def test_hub_commands_without_the_hub_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """A station without playout[hub]: every hub command says what to install (never exit 70)."""
    import playout.cli.hub as hub_cli

    monkeypatch.setattr(hub_cli, "HUB_PACKAGES", ("playout_no_such_package",))
    runner = CliRunner()
    for args in (
        ["hub", "init"],
        ["hub", "serve"],
        ["hub", "station", "list"],
        ["hub", "report", "--month", "08/2020"],
    ):
        result = runner.invoke(cli, [*args, "--db", "postgresql://x@/y"])
        assert result.exit_code == 1, (args, result.output)
        assert "pip install 'playout[hub]'" in result.output


def test_the_command_table_matches_the_commands() -> None:
    """``playout --help`` lists the commands from a table without importing them; each entry
    names a command whose own help starts with the table's text."""
    import click

    from playout.cli import COMMANDS, cli

    ctx = click.Context(cli)
    for name, (_, _, short) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
        own = " ".join((command.help or "").split())
        assert own.startswith(short[:-1]), (name, own)


def test_init_makes_a_station_that_validates(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from playout.cli import cli

    root = tmp_path / "new"
    runner = CliRunner()
    # asked at the prompts, with a wrong id and wrong sessions answered again
    made = runner.invoke(
        cli,
        ["init", str(root)],
        input="Long An/Tan An\nlong-an/thu-thua\nĐài Thủ Thừa\nHuyện Thủ Thừa\nLong An\n"
        "5h-6h\n05:30-06:30, 11:00-11:30, 16:30-17:30\n",
    )
    assert made.exit_code == 0, made.output
    assert "not a session" in made.output and "next:" in made.output
    text = (root / "schedules" / "station.yaml").read_text(encoding="utf-8")
    assert "id: long-an/thu-thua" in text and 'area: "Huyện Thủ Thừa"' in text
    assert "noon:" in text and (root / "playlists").is_dir() and (root / "audio").is_dir()
    valid = runner.invoke(cli, ["--dir", str(root), "validate"])
    assert valid.exit_code == 0, valid.output
    again = runner.invoke(cli, ["init", str(root), "--id", "x", "--name", "x"])
    assert again.exit_code == 1 and "already has a schedule" in again.output
    # all as options, for scripts
    other = tmp_path / "other"
    quiet = runner.invoke(
        cli,
        ["init", str(other), "--id", "a/b", "--name", 'Đài "B"', "--district", "",
         "--province", "", "--sessions", "17:00-18:00"],
    )  # fmt: skip
    assert quiet.exit_code == 0, quiet.output
    assert runner.invoke(cli, ["--dir", str(other), "validate"]).exit_code == 0


def test_a_file_the_daemon_took_but_never_answered_for_is_not_imported_again(
    tmp_path: Path,
) -> None:
    """A daemon that accepts an import and hangs up (it died in the middle): the command says
    so for that file and does not import it itself at the same time (nothing is written)."""
    import threading
    from multiprocessing.connection import Listener, answer_challenge, deliver_challenge

    from playout.daemon.control import address_for, authkey_for
    from tests.helpers import make_audio

    root = tmp_path / "st"
    (root / "audio").mkdir(parents=True)
    db = tmp_path / "st.db"
    clip = make_audio(tmp_path / "in" / "spot.wav", "sine=frequency=440", 2)
    address, family = address_for(db)
    key = authkey_for(db, create=True)
    asked: list[bytes] = []
    with Listener(address, family) as listener:

        def take_and_hang_up() -> None:
            with listener.accept() as conn:
                deliver_challenge(conn, key)
                answer_challenge(conn, key)
                asked.append(conn.recv_bytes())

        server = threading.Thread(target=take_and_hang_up, daemon=True)
        server.start()
        code, out, _ = run(root, "--db", str(db), "library", "import", str(clip))
        server.join(10)
    assert asked and json.loads(asked[0])["cmd"] == "import"
    assert code == 1, out
    assert f"rejected {clip}: the daemon took it but did not finish" in out
    assert "run the command again" in out
    assert not list((root / "audio").rglob("*.wav"))  # not imported here meanwhile


def test_commands_outside_a_station_folder_say_so_and_write_nothing(tmp_path: Path) -> None:
    """`library import` and `status` in a folder that is no station folder: the message says
    where the command ran and what to do; no ./audio/ and no catalog in the home folder."""
    nowhere = tmp_path / "Downloads"
    nowhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PLAYOUT_DB", "PLAYOUT_DIR")}
    clip = REPO / "audio" / "bluezone" / "bluezone-ngan.wav"
    for args in (["library", "import", str(clip), "--into", "bluezone"], ["status"]):
        result = CliRunner(env=env).invoke(cli, ["--dir", str(nowhere), *args])
        assert result.exit_code == 1, result.output
        assert "is not a station folder" in result.output, result.output
        assert "playout --dir FOLDER" in result.output
    assert list(nowhere.iterdir()) == []


def test_a_hub_address_without_http_is_called_what_it_is(station: StationFolder) -> None:
    station.schedule("sessions: {}\n")
    settings = station.root / "schedules" / "station.yaml"
    text = settings.read_text(encoding="utf-8").replace(
        "station:\n", "station:\n  hub: {url: hub.longan.gov.vn, token_file: hub.token}\n", 1
    )
    settings.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--dir", str(station.root), "validate"])
    assert result.exit_code == 1
    assert '"hub.longan.gov.vn" is not a web address' in result.output, result.output
    assert "https://" in result.output and "station id" not in result.output


def test_the_command_reference_is_what_the_commands_say() -> None:
    """docs/commands.md is every command's --help (scripts/command_docs.py --write makes it)."""
    import importlib.util

    script = Path(__file__).resolve().parent.parent / "scripts" / "command_docs.py"
    spec = importlib.util.spec_from_file_location("command_docs", script)
    assert spec is not None and spec.loader is not None
    docs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(docs)
    made = docs.reference()
    assert "## `playout hub station merge`" in made and "## `playout run`" in made
    assert docs.TARGET.read_text(encoding="utf-8") == made, (
        "docs/commands.md is out of date: run .venv/bin/python scripts/command_docs.py --write"
    )
