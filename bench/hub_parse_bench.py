"""Does a burst of big uploads stall the hub? Its health check's latency while N uploads of the
costliest batch the hub parses (a row of 380,000 strings, 15 MB; the row is refused) arrive at once,
against the same health check on an idle hub in the same run. The batches are decoded on worker
threads (two at a time), not on the event loop.

    .venv/bin/python bench/hub_parse_bench.py [--uploads 10] [--probes 40]
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.hub_bench import HubServer, free_port, new_hub_database, register
from tests.pg_bench import PostgresCluster

# the costliest batch within the limits: a row holding 380,000 strings (15 MB, just under the
# hub's budget of values); a row of 8 million numbers (16 MiB) is refused before it is parsed
ITEMS = 380_000
BIG = gzip.compress(
    b'{"protocol": 1, "station": {"id": "long-an/big"}, "rows": [{"table": "airings", '
    b'"seq": 1, "data": [' + b'"0123456789abcdef0123456789abcdef01",' * ITEMS + b'""]}]}'
)


def health_ms(url: str, probes: int, gap: float) -> list[float]:
    out = []
    for _ in range(probes):
        t0 = time.perf_counter()
        with urllib.request.urlopen(f"{url}/api/v1/health", timeout=60) as r:
            r.read()
        out.append((time.perf_counter() - t0) * 1000)
        time.sleep(gap)
    return out


def upload(url: str, token: str) -> int:
    request = urllib.request.Request(
        f"{url}/api/v1/upload", data=BIG, method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Content-Encoding": "gzip"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=300) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--probes", type=int, default=40)
    args = parser.parse_args()
    cluster = PostgresCluster(port=free_port())
    cluster.init()
    cluster.start()
    server: HubServer | None = None
    try:
        url = cluster.new_database("parse")
        engine = new_hub_database(url)
        token = register(engine, "long-an/big")
        server = HubServer(url, free_port())
        server.start(Path(tempfile.mkdtemp()) / "hub.log", workers=1)
        idle = health_ms(server.url, args.probes, 0.05)
        done = threading.Event()
        statuses: list[int] = []

        def burst() -> None:
            with ThreadPoolExecutor(args.uploads) as pool:
                statuses.extend(pool.map(lambda _: upload(server.url, token), range(args.uploads)))
            done.set()

        sender = threading.Thread(target=burst)
        t0 = time.perf_counter()
        sender.start()
        time.sleep(0.3)  # the bodies are in, the decoding has begun
        busy = health_ms(server.url, args.probes, 0.05)
        sender.join()
        burst_s = time.perf_counter() - t0
        rss = server.rss_mb()
    finally:
        if server is not None:
            server.stop()
        cluster.cleanup()
    print(
        f"{args.uploads} uploads of {ITEMS:,} strings ({len(BIG) // 1024} KB gzipped) at once: "
        f"answers {sorted(set(statuses))}, all done in {burst_s:.1f} s; hub RSS {rss:.0f} MB"
    )
    print(f"{'health check (ms)':30} {'median':>8} {'p99':>8} {'max':>8}")
    for name, values in (("idle hub", idle), ("during the burst", busy)):
        v = np.array(values)
        print(f"{name:30} {np.median(v):8.1f} {np.percentile(v, 99):8.1f} {v.max():8.1f}")
    print(f"{'ratio p99 busy / idle':30} {np.percentile(busy, 99) / np.percentile(idle, 99):8.1f}")


if __name__ == "__main__":
    main()
