"""Monthly report speed and memory against the size of the as-run log.

Builds an as-run log of 1,000,000 rows (50 stations, two years, ~27 airings a day each; every
tenth not completed), then times one monthly report of one station in each format and its peak
Python memory (tracemalloc). The baseline is the same report on a log of 100,000 rows, in the
same run: the ratio shows that time and memory depend on the month, not on the database.

    .venv/bin/python bench/report_bench.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from playout.reports import RENDERERS, build_report
from playout.store import AiringRow, DayPlanRow, open_database

PER_DAY = 27
STATIONS = 50
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def fill(path: Path, rows: int) -> None:
    db = open_database(path)
    days = rows // (STATIONS * PER_DAY)
    first = date(2020, 1, 1)
    batch: list[dict[str, object]] = []
    plans: list[dict[str, object]] = []
    n = 0
    with db.engine.begin() as conn:
        for s in range(STATIONS):
            station = f"province/station-{s:02d}"
            for d in range(days):
                day = first + timedelta(days=d)
                airings = []
                for i in range(PER_DAY):
                    campaign = ("bluezone", "covid-5k", "news")[i % 3]
                    start = datetime(day.year, day.month, day.day, 5, tzinfo=UTC) + timedelta(
                        minutes=20 * i
                    )
                    status = "completed" if n % 10 else ("missed", "failed", "interrupted")[n % 3]
                    batch.append(
                        {
                            "station_id": station,
                            "airing_id": f"{day:%Y%m%d}-{campaign}-{i:02d}",
                            "day": day,
                            "campaign": campaign,
                            "session": "morning",
                            "clip": f"{campaign}/clip-{i % 4}.wav",
                            "clip_sha256": "0" * 64,
                            "planned_start": start,
                            "planned_ms": 30_000,
                            "actual_start": start,
                            "actual_end": start,
                            "played_ms": 30_000 if status == "completed" else 0,
                            "status": status,
                            "reason": "" if status == "completed" else "off air",
                            "trigger": "schedule",
                            "operator": "",
                            "run_id": None,
                        }
                    )
                    airings.append(
                        {
                            "airing_id": f"{day:%Y%m%d}-{campaign}-{i:02d}",
                            "campaign": campaign,
                            "clip": f"{campaign}/clip-{i % 4}.wav",
                            "start": start.isoformat(),
                        }
                    )  # what the report reads of a stored plan (playout.planning Airing.as_dict)
                    n += 1
                plans.append(
                    {
                        "station_id": station,
                        "day": day,
                        "version": 1,
                        "effective_from": datetime(day.year, day.month, day.day, tzinfo=UTC),
                        "reason": "start",
                        "level": 1,
                        "digest": "0" * 64,
                        "plan_json": json.dumps(
                            {
                                "airings": airings,
                                "requested": {"bluezone": 9, "covid-5k": 9, "news": 9},
                            }
                        ),
                    }
                )
                if len(batch) >= 50_000:
                    conn.execute(insert(AiringRow), batch)
                    batch = []
        if batch:
            conn.execute(insert(AiringRow), batch)
        conn.execute(insert(DayPlanRow), plans)
    db.close()


def measure(path: Path) -> dict[str, tuple[float, float]]:
    db = open_database(path)
    out = {}
    for fmt, render in RENDERERS.items():
        tracemalloc.start()
        started = time.perf_counter()
        report = build_report(
            db,
            "province/station-07",
            date(2020, 1, 1),
            date(2020, 1, 31),
            tz=TZ,
            issued=date(2020, 2, 5),
            station_name="Đài huyện",
        )
        render(report, "vi")
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        out[fmt] = (elapsed, peak)
    db.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "small.db", Path(tmp) / "big.db"
        started = time.perf_counter()
        fill(small, args.rows // 10)
        fill(big, args.rows)
        print(
            f"generated {args.rows // 10:,} and {args.rows:,} rows in "
            f"{time.perf_counter() - started:.0f} s"
        )
        base, full = measure(small), measure(big)
    print(f"{'format':6} {'s @100k':>9} {'s @1M':>8} {'ratio':>6} {'MB @100k':>9} {'MB @1M':>8}")
    for fmt in RENDERERS:
        (t0, m0), (t1, m1) = base[fmt], full[fmt]
        print(f"{fmt:6} {t0:9.3f} {t1:8.3f} {t1 / t0:6.2f} {m0:9.1f} {m1:8.1f}")
    print(f"target: the month's XLSX in <= 2 s -> {full['xlsx'][0]:.3f} s")


if __name__ == "__main__":
    main()
