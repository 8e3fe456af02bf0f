"""A lean HTTP load generator for the hub benches, run in a process of its own.

Stations are simulated as an asyncio task each (at most ``concurrency`` at a time, like a pool of
that many threads), every request on a new TCP connection as a station's sync is, written as raw
HTTP/1.1 so the generator spends little CPU per request: on a 2-core machine a pool of 200 Python
threads with ``urllib`` takes a core's share from the hub it measures and adds its own GIL waits
to every latency. Real stations are other machines; this keeps the measurement about the hub.

    python bench/loadgen.py JOB.pickle  ->  prints JSON: {"latencies": [...], "statuses": {...}}

The job is a pickled dict: ``{"host", "port", "path", "concurrency", "stations": [[headers,
[body, ...]], ...]}`` where ``headers`` is a dict of extra request headers.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import sys
import time
from collections import Counter
from typing import Any


def request_head(host: str, port: int, path: str, headers: dict[str, str], length: int) -> bytes:
    method = "POST" if length else "GET"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if length:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def one(host: str, port: int, data: bytes) -> tuple[float, int]:
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(data)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await reader.readexactly(length)
        else:
            await reader.read()
    finally:
        writer.close()
    return time.perf_counter() - t0, status


async def run(job: dict[str, Any]) -> dict[str, Any]:
    host, port, path = job["host"], job["port"], job["path"]
    gate = asyncio.Semaphore(job["concurrency"])
    latencies: list[float] = []
    starts: list[float] = []
    statuses: Counter[int] = Counter()

    async def station(headers: dict[str, str], bodies: list[bytes]) -> None:
        async with gate:
            for body in bodies:
                data = request_head(host, port, path, headers, len(body)) + body
                began = time.perf_counter()
                seconds, status = await one(host, port, data)
                starts.append(began - t0)
                latencies.append(seconds)
                statuses[status] += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(station(h, b) for h, b in job["stations"]))
    wall = time.perf_counter() - t0
    return {
        "latencies": latencies,
        "starts": starts,
        "statuses": {str(k): v for k, v in statuses.items()},
        "wall": wall,
        "cpu": time.process_time(),
    }


def main() -> None:
    with open(sys.argv[1], "rb") as f:
        job = pickle.load(f)
    try:
        import uvloop

        result = uvloop.run(run(job))
    except ImportError:
        result = asyncio.run(run(job))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
