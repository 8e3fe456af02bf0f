"""The province hub under a province's load, on this machine, in one run.

1. A private PostgreSQL cluster and a real ``playout hub serve`` on 127.0.0.1.
2. 700 stations upload a month each (the sample's plan at alert level 3, repeated three times a
   day with their own ids: ~33 airings a day, plus a day plan per day), 50 stations at a time,
   over HTTP with gzip, in the stations' own batch format: rows ingested per second. Then the
   routine load: every station sends 5 syncs of 2 rows (an airing as it starts and ends), 200
   stations at a time, each on a new connection as a station's sync is: requests per second
   and the p50/p99 request latency, measured by ``bench/loadgen.py`` (asyncio, raw HTTP, a
   process of its own, ~0.15 ms of CPU per request) three times, and once more by 200 Python
   threads with urllib as before (~0.4 ms per request, on the same two cores as the hub);
   baseline in the same run: ``/api/v1/health`` (no token, no database) at the same
   concurrency, the floor of HTTP on this machine. Then the hub's memory.
   Baseline in the same run: the same airing rows inserted straight into PostgreSQL (one
   ``INSERT ... ON CONFLICT DO NOTHING`` per 1,000 rows, no HTTP, no checks).
3. The province month report over that data, then over a month of 10,000,000 rows (10,000
   stations generated in SQL). Baseline: one ``count(*)`` over the same month's rows.

    .venv/bin/python bench/hub_bench.py [--stations 700] [--concurrency 50]
        [--sync-concurrency 200] [--big 10000000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import pickle
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playout.hub.counts import rebuild
from playout.hub.report import build_province_report
from playout.planning import plan
from playout.sync.protocol import MAX_ROWS
from tests.history import days, sample
from tests.hub_bench import HubServer, free_port, new_hub_database, register
from tests.pg_bench import PostgresCluster

MONTH = (date(2020, 8, 1), date(2020, 8, 31))
BIG_MONTH = (date(2020, 9, 1), date(2020, 9, 30))


def month_rows(station_id: str) -> list[dict[str, Any]]:
    """A station's month in upload format (seq = order), like its outbox would send."""
    s = sample()
    schedule = s.for_station(station_id)
    rows: list[dict[str, Any]] = []
    for day in days(*MONTH):
        result = plan(schedule, day, day, durations=s.durations, level=3)
        airings = []
        for copy in range(3):
            for a in result.airings:
                start = a.start + timedelta(hours=4 * copy)
                airings.append(
                    {
                        "station_id": station_id,
                        "airing_id": f"{a.airing_id}-r{copy}",
                        "day": day.isoformat(),
                        "campaign": a.campaign,
                        "session": a.session,
                        "clip": a.clip,
                        "clip_sha256": "0" * 64,
                        "planned_start": start.isoformat(),
                        "planned_ms": a.duration_ms,
                        "actual_start": start.isoformat(),
                        "actual_end": (start + timedelta(milliseconds=a.duration_ms)).isoformat(),
                        "played_ms": a.duration_ms,
                        "status": "completed",
                        "reason": "",
                        "trigger": "schedule",
                        "operator": "",
                        "run_id": 1,
                    }
                )
        plan_json = json.dumps(
            {
                "airings": [{"campaign": a["campaign"]} for a in airings],
                "requested": {c.campaign: 3 * c.requested for c in result.counts},
            }
        )
        rows.append(
            {
                "table": "day_plans",
                "data": {
                    "station_id": station_id,
                    "day": day.isoformat(),
                    "version": 1,
                    "effective_from": datetime(2020, 8, 1, tzinfo=UTC).isoformat(),
                    "reason": "start",
                    "level": 3,
                    "digest": "x",
                    "plan_json": plan_json,
                },
            }
        )
        rows += [{"table": "airings", "data": a} for a in airings]
    for seq, row in enumerate(rows, start=1):
        row["seq"] = seq
    return rows


def bodies(template: list[dict[str, Any]], station_id: str) -> list[bytes]:
    out = []
    for i in range(0, len(template), MAX_ROWS):
        chunk = [
            {**r, "data": {**r["data"], "station_id": station_id}}
            for r in template[i : i + MAX_ROWS]
        ]
        body = {"protocol": 1, "station": {"id": station_id}, "rows": chunk}
        out.append(gzip.compress(json.dumps(body).encode(), 5))
    return out


def steady_bodies(
    template: list[dict[str, Any]], station_id: str, n: int, offset: int = 0
) -> list[bytes]:
    """``n`` uploads of a 5-minute sync: an airing's row as it starts, then as it ends (the
    airings from ``offset`` on, so that each run writes rows of its own)."""
    airings = [r for r in template if r["table"] == "airings"]
    out = []
    for k in range(offset, offset + n):
        a = airings[k % len(airings)]
        rows = [
            {"table": "airings", "seq": 100_000 + 2 * k, "data": {**a["data"], "status": "playing",
             "station_id": station_id}},
            {"table": "airings", "seq": 100_001 + 2 * k, "data": {**a["data"],
             "station_id": station_id}},
        ]  # fmt: skip
        body = {"protocol": 1, "station": {"id": station_id}, "rows": rows}
        out.append(gzip.compress(json.dumps(body).encode(), 5))
    return out


def upload(url: str, token: str, batches: list[bytes]) -> list[float]:
    latencies = []
    for body in batches:
        request = urllib.request.Request(
            f"{url}/api/v1/upload",
            data=body,
            method="POST",
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
            },
        )
        t0 = time.perf_counter()
        with urllib.request.urlopen(request, timeout=120) as r:
            r.read()
        latencies.append(time.perf_counter() - t0)
    return latencies


def lean_load(
    url: str, path: str, stations: list[tuple[dict[str, str], list[bytes]]], concurrency: int
) -> tuple[np.ndarray, float]:
    """Latencies (ms) and wall time (s) of ``bench/loadgen.py`` sending each station's bodies
    (a GET for an empty one), ``concurrency`` stations at a time; every answer must be 200."""
    host, port = url.removeprefix("http://").split(":")
    job = {"host": host, "port": int(port), "path": path, "concurrency": concurrency}
    with tempfile.NamedTemporaryFile(suffix=".pickle") as f:
        f.write(pickle.dumps({**job, "stations": stations}))
        f.flush()
        out = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("loadgen.py")), f.name],
            capture_output=True,
            check=True,
        )
    result = json.loads(out.stdout)
    assert set(result["statuses"]) == {"200"}, result["statuses"]
    return np.array(result["latencies"]) * 1000, float(result["wall"])


def headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
    }


def baseline_insert(engine: Any, template: list[dict[str, Any]], n_stations: int) -> float:
    """Rows per second of plain multi-row inserts of the same airings (no HTTP, no checks)."""
    airings = [r["data"] for r in template if r["table"] == "airings"]
    sql = text(
        "INSERT INTO baseline (station_id, airing_id, day, status, played_ms) "
        "VALUES (:station_id, :airing_id, :day, :status, :played_ms) ON CONFLICT DO NOTHING"
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE baseline (station_id text, airing_id text, day date, status text, "
                "played_ms int, PRIMARY KEY (station_id, airing_id, day))"
            )
        )
    total = 0
    t0 = time.perf_counter()
    for k in range(n_stations):
        values = [
            {**a, "station_id": f"b/{k}", "day": date.fromisoformat(a["day"])} for a in airings
        ]
        with engine.begin() as conn:
            for i in range(0, len(values), 1000):
                conn.execute(sql, values[i : i + 1000])
        total += len(values)
    return total / (time.perf_counter() - t0)


def fill_big(engine: Any, rows: int) -> int:
    """A month of ``rows`` airings for 10,000 generated stations, made in SQL."""
    stations = 10_000
    per_day = max(1, rows // (stations * 30))
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO stations (id, name, area, province, timezone, token_hash, "
                "token_set_at, created_at, acked_seq, software) "
                "SELECT 'big/' || i, 'Đài ' || i, 'Huyện ' || (i % 100), 'Tỉnh', "
                "'Asia/Ho_Chi_Minh', md5(i::text), now(), now(), 0, '' "
                "FROM generate_series(1, :n) i"
            ),
            {"n": stations},
        )
        conn.execute(
            text(
                "CREATE TABLE IF NOT EXISTS airings_2020_09 PARTITION OF airings "
                "FOR VALUES FROM ('2020-09-01') TO ('2020-10-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO airings (station_id, airing_id, day, revision, campaign, session, "
                "clip, planned_start, planned_ms, played_ms, status, reason, trigger, operator) "
                "SELECT 'big/' || s, d::date || '-' || k, d::date, 1, "
                "CASE WHEN k % 3 = 0 THEN 'covid-5k' ELSE 'bluezone' END, 'morning', 'c.wav', "
                "d + make_interval(mins => k), 7000, "
                "CASE WHEN k % 10 = 0 THEN 0 ELSE 7000 END, "
                "CASE WHEN k % 10 = 0 THEN 'missed' ELSE 'completed' END, '', 'schedule', '' "
                "FROM generate_series(1, :stations) s, "
                "generate_series('2020-09-01'::timestamptz, '2020-09-30', '1 day') d, "
                "generate_series(1, :per_day) k"
            ),
            {"stations": stations, "per_day": per_day},
        )
        conn.execute(
            text(
                "INSERT INTO day_targets (station_id, day, campaign, version, planned, requested) "
                "SELECT 'big/' || s, d::date, c, 1, :per_day / 2, :per_day / 2 "
                "FROM generate_series(1, :stations) s, "
                "generate_series('2020-09-01'::timestamptz, '2020-09-30', '1 day') d, "
                "unnest(ARRAY['bluezone', 'covid-5k']) c"
            ),
            {"stations": stations, "per_day": per_day},
        )
        rebuild(conn, *BIG_MONTH)  # the daily counts, as the upload would have kept them
        conn.execute(text("ANALYZE airings"))
        conn.execute(text("ANALYZE daily_counts"))
        conn.execute(text("ANALYZE day_targets"))
    return stations * 30 * per_day


def report_time(engine: Any, month: tuple[date, date]) -> tuple[float, float, int]:
    """(report seconds, count(*) seconds, stations in the report)"""
    t0 = time.perf_counter()
    report = build_province_report(engine, *month, issued=month[1])
    t_report = time.perf_counter() - t0
    t0 = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(
            text("SELECT count(*) FROM airings WHERE day >= :a AND day <= :b"),
            {"a": month[0], "b": month[1]},
        ).scalar()
    return t_report, time.perf_counter() - t0, len(report.stations)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stations", type=int, default=700)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--sync-concurrency", type=int, default=200)
    parser.add_argument("--big", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=2, help="hub server processes")
    args = parser.parse_args()
    cluster = PostgresCluster(port=free_port())
    cluster.init()
    cluster.start("shared_buffers=256MB", "max_wal_size=2GB", "synchronous_commit=on")
    server: HubServer | None = None
    try:
        url = cluster.new_database("bench")
        engine = new_hub_database(url)
        template = month_rows("x/template")
        airing_rows = sum(r["table"] == "airings" for r in template)
        ids = [f"long-an/s{i:03d}" for i in range(args.stations)]
        tokens = {
            sid: register(engine, sid, district=f"Huyện {i % 15}") for i, sid in enumerate(ids)
        }
        prepared = {sid: bodies(template, sid) for sid in ids}
        server = HubServer(url, free_port())
        server.start(Path(tempfile.mkdtemp()) / "hub.log", pool=10, workers=args.workers)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(lambda s: upload(server.url, tokens[s], prepared[s]), ids))
        wall = time.perf_counter() - t0
        latencies = np.array([x for r in results for x in r]) * 1000
        small = [{sid: steady_bodies(template, sid, 5, 5 * run) for sid in ids} for run in range(4)]
        # the steady state after the burst, as autovacuum and the checkpointer leave it: the
        # routine load is measured on its own, not with the month's writes still being flushed
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
            conn.execute(text("CHECKPOINT"))
        lean = [
            lean_load(
                server.url,
                "/api/v1/upload",
                [(headers(tokens[s]), run[s]) for s in ids],
                args.sync_concurrency,
            )
            for run in small[:3]
        ]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.sync_concurrency) as pool:
            steady = list(pool.map(lambda s: upload(server.url, tokens[s], small[3][s]), ids))
        steady_wall = time.perf_counter() - t0
        steady_ms = np.array([x for r in steady for x in r]) * 1000
        floor_ms, floor_wall = lean_load(
            server.url, "/api/v1/health", [({}, [b""] * 5) for _ in ids], args.sync_concurrency
        )
        rss = server.rss_mb(tree=True)
        rows = len(template) * args.stations
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT count(*) FROM airings")).scalar()
        assert stored == airing_rows * args.stations, (stored, airing_rows * args.stations)
        base = baseline_insert(engine, template, 50)
        t_small, t_scan_small, _ = report_time(engine, MONTH)
        big = fill_big(engine, args.big) if args.big else 0
        t_big, t_scan_big, n_big = report_time(engine, BIG_MONTH) if big else (0.0, 0.0, 0)
    finally:
        if server is not None:
            server.stop()
        cluster.cleanup()
    print(f"hub ingest: {args.stations} stations x a month ({len(template)} rows each), "
          f"{args.concurrency} at a time, {len(latencies)} requests, "
          f"{args.workers} hub worker(s)")  # fmt: skip
    print(f"{'':40} {'value':>12} {'target':>10}")
    print(f"{'rows ingested per second':40} {rows / wall:12,.0f} {'>= 5,000':>10}")
    print(f"{'  baseline: plain inserts, rows/s':40} {base:12,.0f}")
    print(f"{'  hub / baseline':40} {rows / wall / base:12.2f}")
    print(f"{'  month upload latency p50 (ms)':40} {np.percentile(latencies, 50):12.0f}")
    print(f"{'  month upload latency p99 (ms)':40} {np.percentile(latencies, 99):12.0f}")
    print(f"routine syncs (2 rows each), {len(steady_ms)} requests a run, "
          f"{args.sync_concurrency} at a time:")  # fmt: skip
    for i, (ms, wall) in enumerate(lean, start=1):
        print(f"{f'  run {i}: requests per second':40} {len(ms) / wall:12.0f}")
        print(f"{f'  run {i}: request latency p50 (ms)':40} {np.percentile(ms, 50):12.0f}")
        print(f"{f'  run {i}: request latency p99 (ms)':40} {np.percentile(ms, 99):12.0f} "
              f"{'<= 500':>10}")  # fmt: skip
    print(f"{'  200 threads: requests per second':40} {len(steady_ms) / steady_wall:12.0f}")
    print(f"{'  200 threads: latency p99 (ms)':40} {np.percentile(steady_ms, 99):12.0f}")
    print(f"{'  baseline: health, requests per second':40} {len(floor_ms) / floor_wall:12.0f}")
    print(f"{'  baseline: health latency p99 (ms)':40} {np.percentile(floor_ms, 99):12.0f}")
    lean_rate = sum(len(ms) for ms, _ in lean) / sum(wall for _, wall in lean)
    print(f"{'  syncs / health, requests per second':40} "
          f"{lean_rate / (len(floor_ms) / floor_wall):12.2f}")  # fmt: skip
    print(f"{'hub memory after the load (MB, all)':40} {rss:12.0f}")
    print(f"{'province report, ' + f'{stored:,} rows (s)':40} {t_small:12.2f}")
    print(f"{'  baseline: count(*) of the month (s)':40} {t_scan_small:12.2f}")
    if big:
        print(
            f"{f'province report, {big:,} rows, {n_big:,} st. (s)':40} {t_big:12.2f} {'<= 3':>10}"
        )
        print(f"{'  baseline: count(*) of the month (s)':40} {t_scan_big:12.2f}")
        print(f"{'  report / count(*)':40} {t_big / t_scan_big:12.2f}")


if __name__ == "__main__":
    main()
