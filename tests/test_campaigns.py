"""Campaign bundles from the province to the stations, with a real hub and PostgreSQL and real
station folders synced by the real ``playout sync`` command (and, in the last test, by a real
daemon that airs the bundle's clip through libvlc)."""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from playout.cli import cli
from playout.hub.bundles import campaign_titles
from playout.library.catalog import sha256_of
from playout.sync.bundle_format import UnsafeBundle, parse_manifest
from tests.audio_bench import PulseBench
from tests.daemon_bench import DaemonProcess, Slot, as_run, build_station
from tests.helpers import make_audio
from tests.history import SAMPLE
from tests.hub_bench import Hub, hub_airings, register
from tests.web_client import WebClient

pytestmark = pytest.mark.slow
BUNDLE = SAMPLE / "bundles" / "bluezone-2020"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@dataclass
class Station:
    root: Path
    station_id: str

    def playout(self, *args: str) -> Result:
        return run("--dir", str(self.root), *args)

    def sync(self) -> Result:
        return self.playout("sync", "--once")

    @property
    def applied(self) -> list[str]:
        base = self.root / "schedules" / "province"
        return sorted(p.name for p in base.iterdir()) if base.exists() else []


def sample_station(
    hub: Hub,
    tmp: Path,
    name: str,
    district: str,
    *,
    edit: tuple[str, str] = ("", ""),
    review: bool = False,
) -> Station:
    """A copy of the sample station (its own Bluezone campaign included), registered at the hub."""
    root = tmp / name
    for folder in ("schedules", "playlists", "audio"):
        shutil.copytree(SAMPLE / folder, root / folder)
    station_id = f"long-an/{name}"
    token = register(hub.engine, station_id, district)
    (root / "hub.token").write_text(token + "\n", encoding="utf-8")
    (root / "hub.token").chmod(0o600)
    yaml = root / "schedules" / "tan-an.yaml"
    hub_line = f"  hub: {{url: '{hub.url}', token_file: hub.token"
    hub_line += ", campaigns: review}" if review else "}"
    text_ = yaml.read_text(encoding="utf-8").replace("id: long-an/tan-an", f"id: {station_id}")
    text_ = text_.replace("  database: var/playout.db", f"  database: var/playout.db\n{hub_line}")
    if edit[0]:
        assert edit[0] in text_
        text_ = text_.replace(*edit)
    yaml.write_text(text_, encoding="utf-8")
    station = Station(root, station_id)
    imported = station.playout("library", "import", *[str(p) for p in root.glob("audio/*/*.wav")])
    assert imported.exit_code == 0, imported.output
    return station


def dashboard(hub: Hub) -> WebClient:
    """A province official logged in to the hub's dashboard."""
    made = CliRunner().invoke(
        cli,
        [
            "hub",
            "user",
            "add",
            "tinh",
            "--role",
            "province",
            "--password-stdin",
            "--db",
            hub.db_url,
        ],
        input="mat khau tinh\n",
    )
    assert made.exit_code == 0 or "exists already" in made.output, made.output
    web = WebClient("127.0.0.1", hub.server.port)
    assert web.login("tinh", "mat khau tinh").status == 303
    return web


def publish(hub: Hub, folder: Path, to: str) -> Result:
    return run("hub", "campaign", "publish", str(folder), "--to", to, "--db", hub.db_url)


def rollout(hub: Hub) -> dict[tuple[str, str], tuple[int, str, str]]:
    with hub.engine.connect() as conn:
        rows = conn.execute(text("SELECT station_id, name, version, state, reason FROM rollout"))
        return {(r.station_id, r.name): (r.version, r.state, r.reason) for r in rows}


def planned_campaigns(station: Station, day: str) -> set[str]:
    plan = station.playout("plan", "--from", day, "--to", day, "--format", "json")
    assert plan.exit_code == 0, plan.output
    return {a["campaign"] for a in json.loads(plan.stdout)["airings"]}


def test_publish_to_two_of_three_stations(hub: Hub, tmp_path: Path) -> None:
    a = sample_station(hub, tmp_path, "ben-luc", "Huyện Bến Lức")
    b = sample_station(hub, tmp_path, "thanh-phu", "Huyện Bến Lức")
    c = sample_station(hub, tmp_path, "tan-an", "Thành phố Tân An")
    published = publish(hub, BUNDLE, "district:Huyện Bến Lức")
    assert published.exit_code == 0, published.output
    assert "bluezone-2020: version 1 published" in published.output
    outputs = {}
    for s in (a, b, c):
        synced = s.sync()
        assert synced.exit_code == 0, synced.output
        outputs[s.station_id] = synced.output
    assert a.applied == b.applied == ["bluezone-2020"] and c.applied == []
    assert "campaign bundle bluezone-2020 v1: applied" in outputs[a.station_id]
    assert "campaign bundle" not in outputs[c.station_id]
    for s in (a, b):  # they air it from its first day, beside their own campaigns
        assert planned_campaigns(s, "05/08/2020") >= {"bluezone-tw", "bluezone", "covid-5k"}
        assert "bluezone-tw" not in planned_campaigns(s, "04/08/2020")
        assert s.playout("validate").exit_code == 0
    assert "bluezone-tw" not in planned_campaigns(c, "05/08/2020")
    states = rollout(hub)
    assert states[(a.station_id, "bluezone-2020")][:2] == (1, "applied")
    assert states[(b.station_id, "bluezone-2020")][:2] == (1, "applied")
    assert (c.station_id, "bluezone-2020") not in states
    # the clips are catalogued with the hub's sha256: what airs is provably the national clip
    # (the example bundle's clips are the sample's own audio, so some were catalogued before)
    catalogue = json.loads(a.playout("library", "list", "--json").stdout)
    listed = {c["sha256"] for c in catalogue}
    national = {sha256_of(p) for p in (a.root / "audio" / "province").rglob("*.wav")}
    assert len(national) == 2 and national <= listed
    # a bundle clip that is a station clip's exact audio: one row, the bundle's path its copy,
    # checked like its own path (validate neither calls it uncatalogued nor misses a change)
    assert len(listed) == len(catalogue)
    copies = {p for c in catalogue for p in c["copies"]}
    assert copies and all(p.startswith("province/") for p in copies), catalogue
    said = a.playout("--lang", "en", "validate")
    assert said.exit_code == 0 and "not in the catalog" not in said.output, said.output
    copy = a.root / "audio" / sorted(copies)[0]
    kept = copy.read_bytes()
    copy.write_bytes(kept[:-4] + b"\x01\x02\x03\x04")
    said = a.playout("--lang", "en", "validate")
    assert "the file changed since it was imported" in said.output, said.output
    copy.write_bytes(kept)
    listing = run("hub", "campaign", "list", "--db", hub.db_url)
    assert "applied: 2" in listing.output, listing.output
    with hub.engine.connect() as conn:  # the titles officials read, from the bundle's files
        titles = campaign_titles(conn)
    assert titles["bluezone-tw"] == "Bluezone - thông điệp của Bộ TT&TT và Bộ Y tế"
    # the dashboard shows the rollout, per station
    web = dashboard(hub)
    page = web.get("/campaigns").text
    for s in (a, b):
        assert f'class="rollout-applied" data-station="{s.station_id}"' in page
    assert c.station_id not in page and "đang chạy: 2" in page
    assert "bluezone-2020" in web.get(f"/stations/{a.station_id}").text
    # publishing the same again changes nothing; a second sync does nothing
    assert "unchanged, still version 1" in publish(hub, BUNDLE, "district:Huyện Bến Lức").output
    # areas (communes since 2025) are the same audience as districts (2020 data)
    assert "unchanged, still version 1" in publish(hub, BUNDLE, "area:Huyện Bến Lức").output
    wrong = publish(hub, BUNDLE, "area:Huyen Ben Luc")
    assert wrong.exit_code == 1 and "in the area" in wrong.output, wrong.output
    # the same folder under another name: its campaigns are taken, every station would refuse it
    renamed = run("hub", "campaign", "publish", str(BUNDLE), "--to", "all", "--name",
                  "bluezone-moi", "--db", hub.db_url)  # fmt: skip
    assert renamed.exit_code == 1, renamed.output
    assert "the bundle bluezone-2020 has the campaign(s)" in renamed.output
    assert "--name bluezone-2020" in renamed.output
    again = a.sync()
    assert again.exit_code == 0 and "campaign bundle" not in again.output


def test_version_2_while_a_station_is_offline(hub: Hub, tmp_path: Path) -> None:
    a = sample_station(hub, tmp_path, "ben-luc", "Huyện Bến Lức")
    assert publish(hub, BUNDLE, "all").exit_code == 0
    assert a.sync().exit_code == 0 and a.applied == ["bluezone-2020"]
    v2 = tmp_path / "bluezone-2020"
    shutil.copytree(BUNDLE, v2)
    with_new_clip(v2)
    hub.server.stop()  # the station is cut off from the hub (the hub is down)
    try:
        offline = a.sync()
        assert offline.exit_code == 1 and "cannot reach the hub" in offline.output
    finally:
        hub.start()
    published = publish(hub, v2, "all")
    assert "version 2 published" in published.output, published.output
    back = a.sync()
    assert back.exit_code == 0 and "bluezone-2020 v2: applied" in back.output, back.output
    assert (a.root / "audio/province/bluezone/bluezone-moi.wav").exists()
    assert rollout(hub)[(a.station_id, "bluezone-2020")][:2] == (2, "applied")
    assert "province/bluezone/bluezone-moi.wav" in (
        a.root / "playlists/province/bluezone-2020/bluezone-tw.yaml"
    ).read_text(encoding="utf-8")


def test_a_bundle_naming_a_missing_session_is_refused_there(hub: Hub, tmp_path: Path) -> None:
    # this station has no afternoon session (its own campaigns use the morning only)
    afternoon = '  afternoon: {start: "16:30", end: "17:30", max_spots: 15m}'
    lacking = sample_station(hub, tmp_path, "can-giuoc", "Huyện Cần Giuộc", edit=(afternoon, ""))
    for path in (lacking.root / "schedules").glob("*.yaml"):
        path.write_text(
            path.read_text(encoding="utf-8").replace(
                "sessions: [morning, afternoon]", "sessions: [morning]"
            ),
            encoding="utf-8",
        )
    assert lacking.playout("validate").exit_code == 0
    before = planned_campaigns(lacking, "15/08/2020")
    assert publish(hub, BUNDLE, "all").exit_code == 0
    synced = lacking.playout("--lang", "vi", "sync", "--once")  # the operator's language
    assert synced.exit_code == 1, synced.output  # the upload worked; the bundle did not fit
    assert "bluezone-2020 phiên bản 1: bị từ chối" in synced.output
    assert 'buổi phát "afternoon", nhưng buổi này không có' in synced.output
    assert "schedules/province/bluezone-2020/bluezone.yaml" in synced.output
    # the bundle's file is not the station's to edit: the hint says its two choices
    assert 'đài này không có buổi phát "afternoon"' in synced.output
    assert "hoặc từ chối gói: playout campaign decline bluezone-2020" in synced.output
    assert lacking.applied == []  # nothing applied; the last good plan stays
    assert planned_campaigns(lacking, "15/08/2020") == before
    version, state, reason = rollout(hub)[(lacking.station_id, "bluezone-2020")]
    assert (version, state) == (1, "refused") and "afternoon" in reason
    # the province reads it in English, with the station's choices
    assert 'names the session "afternoon", which does not exist' in reason
    assert 'this station has no session "afternoon": add a session' in reason
    # the operator adds the session: the next sync applies the same version
    yaml = lacking.root / "schedules" / "tan-an.yaml"
    yaml.write_text(
        yaml.read_text(encoding="utf-8").replace(
            "sessions:                                   # broadcast sessions (buổi phát thanh)\n",
            "sessions:                                   # broadcast sessions (buổi phát thanh)\n"
            '  afternoon: {start: "16:30", end: "17:30"}\n',
        ),
        encoding="utf-8",
    )
    fixed = lacking.sync()
    assert "bluezone-2020 v1: applied" in fixed.output, fixed.output
    assert rollout(hub)[(lacking.station_id, "bluezone-2020")][:2] == (1, "applied")


def with_new_clip(folder: Path) -> Path:
    """The sample bundle plus a clip no station has yet (so it must be downloaded)."""
    make_audio(folder / "audio/province/bluezone/bluezone-moi.wav", "sine=frequency=660", 4.0)
    playlist = folder / "playlists" / "bluezone-tw.yaml"
    playlist.write_text(
        playlist.read_text(encoding="utf-8")
        + '  - file: province/bluezone/bluezone-moi.wav\n    title: "Bluezone - bản mới"\n',
        encoding="utf-8",
    )
    return folder


def test_a_corrupted_download_is_fetched_again_and_never_used(hub: Hub, tmp_path: Path) -> None:
    a = sample_station(hub, tmp_path, "ben-luc", "Huyện Bến Lức")
    bundle = tmp_path / "bluezone-2020"
    shutil.copytree(BUNDLE, bundle)
    assert publish(hub, with_new_clip(bundle), "all").exit_code == 0
    with hub.engine.connect() as conn:
        clip_sha, size = conn.execute(
            text(
                "SELECT f->>'sha256', (f->>'size')::int FROM bundles, "
                "jsonb_array_elements(manifest->'files') f WHERE f->>'path' LIKE '%moi.wav'"
            )
        ).one()
    # a byte flipped in a download that was cut off: caught by the sha256, fetched again
    part = a.root / ".province" / "download" / f"{clip_sha}.part"
    part.parent.mkdir(parents=True)
    with hub.engine.connect() as conn:
        good = bytes(
            conn.execute(
                text("SELECT content FROM blobs WHERE sha256 = :s"), {"s": clip_sha}
            ).scalar_one()
        )
    part.write_bytes(good[:1000] + bytes([good[1000] ^ 0xFF]) + good[1001 : size // 2])
    synced = a.sync()
    assert "bluezone-2020 v1: applied" in synced.output, synced.output
    clip = next((a.root / "audio" / "province").rglob("*.wav"))
    on_disk = {sha256_of(p) for p in (a.root / "audio" / "province").rglob("*.wav")}
    assert clip_sha in on_disk and clip.exists()
    # the hub's copy itself corrupted: twice wrong, never applied, tried again later
    b = sample_station(hub, tmp_path, "thanh-phu", "Huyện Bến Lức")
    with hub.engine.begin() as conn:
        conn.execute(
            text("UPDATE blobs SET content = set_byte(content, 2000, 255 - get_byte(content, 2000))"
                 " WHERE sha256 = :s"),
            {"s": clip_sha},
        )  # fmt: skip
    broken = b.sync()
    assert broken.exit_code == 1 and "arrived corrupted twice" in broken.output, broken.output
    assert b.applied == []
    # only verified files ever reach audio/province/: the corrupted one is not there
    placed = {sha256_of(p) for p in (b.root / "audio" / "province").rglob("*.wav")}
    assert clip_sha not in placed and placed <= on_disk
    with hub.engine.begin() as conn:
        conn.execute(
            text("UPDATE blobs SET content = :c WHERE sha256 = :s"), {"c": good, "s": clip_sha}
        )
    assert "bluezone-2020 v1: applied" in b.sync().output


def test_review_decline_accept_and_withdraw(hub: Hub, tmp_path: Path) -> None:
    a = sample_station(hub, tmp_path, "ben-luc", "Huyện Bến Lức", review=True)
    b = sample_station(hub, tmp_path, "thanh-phu", "Huyện Bến Lức", review=True)
    assert publish(hub, BUNDLE, "all").exit_code == 0
    for s in (a, b):
        synced = s.sync()
        assert "bluezone-2020 v1: waiting" in synced.output and s.applied == []
        listing = s.playout("campaign", "list").output
        assert "waiting" in listing
        assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", listing), listing  # station time
        assert "+00:00" not in listing and "T" not in listing.split("waiting")[1][:30]
    # what accepting it would change, before deciding (in the operator's language)
    shown = b.playout("--lang", "vi", "campaign", "show", "bluezone-2020")
    assert shown.exit_code == 0, shown.output
    for said in ("chiến dịch bluezone-tw", "buổi phát: morning, afternoon", "lần mỗi ngày",
                 "số lượt xếp được / yêu cầu", "province/bluezone/"):  # fmt: skip
        assert said in shown.output, shown.output
    assert b.applied == []  # showing changes nothing
    # on a day of the campaign: what the station's sessions hold, day by day
    from datetime import date

    from playout.store import open_database
    from playout.sync.bundle_preview import preview

    db = open_database(b.root / "var" / "playout.db")
    try:
        (tw,) = preview(b.root, "bluezone-2020", db, date(2020, 8, 13))
    finally:
        db.close()
    assert (tw.id, tw.sessions, tw.first, tw.last) == (
        "bluezone-tw", ["morning", "afternoon"], date(2020, 8, 5), date(2020, 8, 31)
    )  # fmt: skip
    # the frequency steps up on 15/08
    assert [(d.day, asked) for d, _, asked in tw.days] == [(13, 2), (14, 2)] + [
        (day, 3) for day in range(15, 20)
    ]
    assert all(0 < placed <= asked for _, placed, asked in tw.days)
    assert tw.clips and all(ms > 0 for _, _, ms in tw.clips)
    assert a.playout("campaign", "show", "no-such").exit_code == 1
    declined = a.playout("campaign", "decline", "bluezone-2020", "--reason", "đã có bản riêng")
    assert declined.exit_code == 0 and "declined" in declined.output
    accepted = b.playout("campaign", "accept", "bluezone-2020")
    assert (
        accepted.exit_code == 0 and "applied" in accepted.output and b.applied == ["bluezone-2020"]
    )
    states = rollout(hub)
    assert states[(a.station_id, "bluezone-2020")] == (1, "declined", "đã có bản riêng")
    page = dashboard(hub).get("/campaigns").text
    assert f'class="rollout-declined" data-station="{a.station_id}"' in page
    assert "đã có bản riêng" in page
    assert states[(b.station_id, "bluezone-2020")][:2] == (1, "applied")
    assert a.playout("campaign", "accept", "nothing").exit_code == 1
    withdrawn = run("hub", "campaign", "withdraw", "bluezone-2020", "--db", hub.db_url)
    assert withdrawn.exit_code == 0
    gone = b.sync()
    assert "bluezone-2020 v1: removed" in gone.output and b.applied == []
    assert any((b.root / "audio" / "province").rglob("*.wav"))  # clips stay
    assert rollout(hub)[(b.station_id, "bluezone-2020")][1] == "removed"


def test_a_bundle_with_errors_is_refused_with_every_error(hub: Hub, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(BUNDLE, bad)
    (bad / "schedules" / "bluezone.yaml").write_text(
        "sessions: {morning: {start: '05:00', end: '06:00'}}\n"
        "campaigns:\n  - id: bluezone-tw\n    playlist: bluezone-tww\n    from: 05/08/2020\n"
        "    per_day: 2\n",
        encoding="utf-8",
    )
    (bad / "playlists" / "bluezone-tw.yaml").write_text(
        "clips:\n  - file: bluezone/ngoai.wav\n  - file: province/bluezone/khong-co.wav\n",
        encoding="utf-8",
    )
    refused = publish(hub, bad, "all")
    assert refused.exit_code == 1
    out = refused.output
    assert "schedules/bluezone.yaml:1:1: error: a campaign bundle has campaigns only" in out
    assert "nothing was published" in out
    second = run("hub", "campaign", "list", "--db", hub.db_url)
    assert "no bundles yet" in second.output
    (bad / "schedules" / "bluezone.yaml").write_text(
        "campaigns:\n  - id: bluezone-tw\n    playlist: bluezone-tww\n    from: 05/08/2020\n"
        "    per_day: 2\n",
        encoding="utf-8",
    )
    refused = publish(hub, bad, "all")
    assert refused.exit_code == 1
    assert 'did you mean "bluezone-tw"' in refused.output, refused.output
    assert "playlists/bluezone-tw.yaml:2:11: error: the clip" in refused.output
    assert "not under audio/province/" in refused.output
    (bad / "schedules" / "bluezone.yaml").write_text(
        "campaigns:\n  - id: bluezone-tw\n    playlist: bluezone-tw\n    from: 05/08/2020\n"
        "    per_day: 2\n",
        encoding="utf-8",
    )
    refused = publish(hub, bad, "all")  # now the playlist is used: its missing clip is named
    assert refused.exit_code == 1
    assert 'playlists/bluezone-tw.yaml:3:11: error: clip "province/bluezone/khong-co.wav"' in (
        refused.output
    ), refused.output


@pytest.mark.parametrize(
    "path",
    ["../etc/passwd", "/etc/passwd", "audio/../../x.wav", "audio/station/x.wav",
     "audio/province/x.mp3", "schedules/x.sh", "playlists/.hidden.yaml", "schedules\\x.yaml",
     "C:/x.yaml", "other/x.yaml"],
)  # fmt: skip
def test_unsafe_manifests_are_refused_whole(path: str) -> None:
    manifest = {
        "name": "x",
        "version": 1,
        "files": [
            {"path": "schedules/ok.yaml", "sha256": "0" * 64, "size": 10},
            {"path": path, "sha256": "1" * 64, "size": 10},
        ],
    }
    with pytest.raises(UnsafeBundle):
        parse_manifest(manifest)


def test_a_daemon_airs_a_bundle_published_while_it_runs(
    hub: Hub, tmp_path: Path, pulse: PulseBench
) -> None:
    """End to end with libvlc: a running daemon fetches a bundle at its sync and holds it for
    review (``playout status`` says so); the operator accepts it, the file watcher reloads, and
    the bundle's clip airs at its time, logged with the national sha256."""
    station_id = "test/e2e"
    token = register(hub.engine, station_id, "Huyện Bến Lức")
    st = build_station(
        tmp_path / "st", {"own.wav": (440, 1.0)}, [Slot(600, "own.wav")], hub=f"{hub.url} {token}"
    )
    yaml = st.root / "schedules" / "station.yaml"
    own = yaml.read_text(encoding="utf-8").replace("every: 10s}", "every: 10s, campaigns: review}")
    assert "  - id: c-own\n" in own
    own = own.replace("  - id: c-own\n", "  - id: c-own\n    title: Tin bài của đài\n")
    yaml.write_text(own, encoding="utf-8")
    bundle = tmp_path / "quoc-gia"
    air_at = (st.zero + timedelta(seconds=45)).astimezone(ZoneInfo(st.tz))
    (bundle / "schedules").mkdir(parents=True)
    (bundle / "schedules" / "spot.yaml").write_text(
        f"campaigns:\n  - id: quoc-gia\n    title: Thông điệp quốc gia\n"
        f"    clip: province/quoc-gia/spot.wav\n"
        f"    from: {air_at:%d/%m/%Y}\n    sessions: [all]\n    at: ['{air_at:%H:%M:%S}']\n",
        encoding="utf-8",
    )
    make_audio(
        bundle / "audio/province/quoc-gia/spot.wav", "sine=frequency=880:sample_rate=44100", 2.0
    )
    assert publish(hub, bundle, f"station:{station_id}").exit_code == 0
    with hub.engine.connect() as conn:
        national = conn.execute(
            text("SELECT f->>'sha256' FROM bundles, jsonb_array_elements(manifest->'files') f "
                 "WHERE f->>'kind' = 'clip'")
        ).scalar_one()  # fmt: skip
    daemon = DaemonProcess.start(st, pulse)
    station = Station(st.root, station_id)
    try:
        assert daemon.wait_for("waits for the operator", 30), daemon.output()
        status = station.playout("status")
        assert "CAMPAIGN quoc-gia v1 from the province waits for you" in status.output, (
            status.output
        )
        accepted = station.playout("campaign", "accept", "quoc-gia")
        assert accepted.exit_code == 0 and "applied" in accepted.output, accepted.output
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if not st.db.exists():
                time.sleep(0.5)
                continue
            done = [
                r
                for r in as_run(st.db)
                if r["campaign"] == "quoc-gia" and r["status"] == "completed"
            ]
            if done:
                break
            time.sleep(0.5)
        assert done, daemon.output()
        assert done[0]["clip_sha256"] == national
        started = datetime.fromisoformat(str(done[0]["actual_start"])).replace(tzinfo=UTC)
        assert abs((started - air_at).total_seconds()) < 1.0, (started, air_at)
        assert "reloaded (a schedule file changed)" in daemon.output()
        # the next upload brings it to the hub: the province report names the exact clip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            aired = [s for s, _ in hub_airings(hub.engine, station_id).values() if s == "completed"]
            if aired:
                break
            time.sleep(0.5)
    finally:
        daemon.terminate()
    assert rollout(hub)[(station_id, "quoc-gia")][:2] == (1, "applied")
    # the station's own campaign's title came with its day plan: officials read it, not the id
    with hub.engine.connect() as conn:
        titles = dict(
            conn.execute(
                text("SELECT campaign, title FROM day_targets WHERE station_id = :s"),
                {"s": station_id},
            ).all()
        )
    assert titles.get("c-own") == "Tin bài của đài", titles
    out = tmp_path / "report.csv"
    report = run(
        "hub", "report", "--month", f"{air_at:%m/%Y}", "--format", "csv", "--out", str(out),
        "--db", hub.db_url,
    )  # fmt: skip
    assert report.exit_code == 0, report.output
    lines = [ln for ln in out.read_text(encoding="utf-8-sig").splitlines() if national[:16] in ln]
    assert len(lines) == 1 and "quoc-gia" in lines[0], out.read_text(encoding="utf-8-sig")
    assert ",1," in lines[0] or ";1;" in lines[0], lines[0]  # aired once
    # officials read the campaign's title the province gave it, not its id, and the station's
    # own campaign's title
    assert "Thông điệp quốc gia" in out.read_text(encoding="utf-8-sig")
    assert "Tin bài của đài" in out.read_text(encoding="utf-8-sig")
    # a station that did not take the bundle airs the same audio as its own: not credited
    with hub.engine.begin() as conn:
        conn.execute(text("UPDATE rollout SET state = 'declined' WHERE station_id = :s"),
                     {"s": station_id})  # fmt: skip
    again = run(
        "hub", "report", "--month", f"{air_at:%m/%Y}", "--format", "csv", "--out", str(out),
        "--db", hub.db_url,
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert national[:16] not in out.read_text(encoding="utf-8-sig")
