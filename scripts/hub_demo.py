#!/usr/bin/env python3
"""The demo hub (called by ./dev hub): a private PostgreSQL cluster, the hub on 127.0.0.1, and a
demo province of three stations built from the sample, each with a month of generated as-run
history (August 2020) sent through the real upload API. Prints where to look, then serves until
Ctrl-C (or --exit-after SECONDS); the cluster is thrown away at the end."""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playout.clock import SystemClock  # noqa: E402
from playout.hub.db import engine_for  # noqa: E402
from playout.store import open_database  # noqa: E402
from tests.history import sample, write_history  # noqa: E402
from tests.hub_bench import HubServer, free_port, new_hub_database, uploader  # noqa: E402
from tests.pg_bench import PostgresCluster  # noqa: E402

DEMO_PASSWORD = "demo-password"
STATIONS = [
    ("long-an/tan-an", "Đài Truyền thanh thành phố Tân An", "Thành phố Tân An", 1),
    ("long-an/ben-luc", "Đài Truyền thanh huyện Bến Lức", "Huyện Bến Lức", 2),
    ("long-an/can-giuoc", "Đài Truyền thanh huyện Cần Giuộc", "Huyện Cần Giuộc", 3),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8750)
    parser.add_argument("--exit-after", type=float, default=0, help="seconds; 0 = until Ctrl-C")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "hub-demo")
    args = parser.parse_args()
    work: Path = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    playout = str(Path(sys.executable).parent / "playout")
    cluster = PostgresCluster(port=free_port())
    print(f"hub-demo: PostgreSQL cluster in {cluster.dir}")
    cluster.init()
    cluster.start()
    server: HubServer | None = None
    silent_since = datetime.now(UTC)
    try:
        url = cluster.new_database("hub")
        engine = new_hub_database(url)
        engine.dispose()
        the_sample = sample()
        server = HubServer(url, args.port)
        server.start(work / "hub.log")
        for station_id, name, district, seed in STATIONS:
            added = subprocess.run(
                [playout, "hub", "station", "add", station_id, "--name", name,
                 "--area", district, "--province", "Long An", "--db", url],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            token = added.stdout.strip().splitlines()[-1]
            db = open_database(work / f"{station_id.split('/')[1]}.db")
            last = date(2020, 8, 31) if seed != 3 else date(2020, 8, 18)  # one went silent
            schedule = the_sample.for_station(station_id, name)
            write_history(
                db, schedule, the_sample.durations, date(2020, 8, 1), last, seed=seed
            )  # fmt: skip
            # and this month up to now, for the dashboard; Cần Giuộc's PC has been off since
            # 04:30 this morning (or for 3 hours, before then)
            now = datetime.now(UTC)
            zone = ZoneInfo(schedule.station.timezone)
            today = now.astimezone(zone).date()
            until = now
            if seed == 3:
                early = datetime.combine(today, time(4, 30), zone)
                until = silent_since = early if early < now else now - timedelta(hours=3)
            write_history(
                db, schedule, the_sample.durations, today.replace(day=1), today, seed=seed,
                until=until,
            )  # fmt: skip
            result = uploader(server.url, token, station_id).run(db, SystemClock())
            db.close()
            print(f"hub-demo: {station_id}: sent {result.rows_sent} rows to the hub")
        demo = engine_for(url, pool_size=1)
        with demo.begin() as conn:  # as if Cần Giuộc had sent its data when its PC went off
            conn.execute(
                text("UPDATE stations SET last_contact = :at WHERE id = :id"),
                {"id": "long-an/can-giuoc", "at": silent_since},
            )
        demo.dispose()
        for user, role in (("tinh", "province"), ("benluc", "area:Huyện Bến Lức")):
            subprocess.run(
                [playout, "hub", "user", "add", user, "--role", role, "--password-stdin",
                 "--db", url],
                input=f"{DEMO_PASSWORD}\n", text=True, capture_output=True, check=True,
            )  # fmt: skip
        subprocess.run(
            [playout, "hub", "station", "add", "long-an/thu-thua", "--name",
             "Đài Truyền thanh huyện Thủ Thừa", "--area", "Huyện Thủ Thừa",
             "--province", "Long An", "--db", url],
            capture_output=True, check=True,
        )  # fmt: skip
        for fmt in ("html", "xlsx"):
            subprocess.run(
                [playout, "hub", "report", "--month", "08/2020", "--format", fmt,
                 "--out", str(work / f"province-report-2020-08.{fmt}"), "--db", url],
                check=True,
            )  # fmt: skip
        print(
            f"""
The demo hub is up: {server.url}  (health: {server.url}/api/v1/health)
  dashboard    {server.url}/  log in as tinh (the province) or benluc (area Bến Lức),
               password {DEMO_PASSWORD}
  database     {url}
  stations     {playout} hub station list --db '{url}'
  report       {work}/province-report-2020-08.html (and .xlsx)
               {playout} hub report --month 08/2020 --format csv --db '{url}'
  hub log      {work}/hub.log
Four stations: three sent August 2020 (Cần Giuộc stopped on the 18th) and this month up to now
(Cần Giuộc's PC went off at 04:30 today), Thủ Thừa sent nothing.
Ctrl-C stops the hub and throws the cluster away.""",
            flush=True,
        )
        stop = clock.monotonic() + args.exit_after if args.exit_after else None
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while stop is None or clock.monotonic() < stop:
            clock.sleep(0.5)
            if server.process is None or server.process.poll() is not None:
                raise SystemExit(f"hub-demo: the hub stopped:\n{server.output()}")
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.stop()
        cluster.cleanup()
        print("hub-demo: stopped")


if __name__ == "__main__":
    main()
