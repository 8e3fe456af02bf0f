"""The hub under hostile stations (a real PostgreSQL, `playout hub serve` on 127.0.0.1): a bad
row is refused alone and acknowledged, the rest stored; nothing a request holds answers 500;
bodies are refused as they arrive; a station speaks only of the bundles addressed to it."""

from __future__ import annotations

import http.client
import json
import socket
import urllib.error
import urllib.request
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hub_bench import Hub, hub_count, register
from tests.test_campaigns import BUNDLE, publish
from tests.test_hub import _batch_body, _post

pytestmark = pytest.mark.slow
SID = "long-an/hostile"
DAY = "2020-08-05"


def airing(seq: int, **changes: Any) -> dict[str, Any]:
    data = {
        "station_id": SID, "airing_id": f"20200805-bz-{seq:04d}", "day": DAY, "campaign": "bz",
        "session": "morning", "clip": "bz/a.wav", "clip_sha256": None,
        "planned_start": f"{DAY}T06:00:00+07:00", "planned_ms": 30_000,
        "actual_start": f"{DAY}T06:00:00+07:00", "actual_end": f"{DAY}T06:00:30+07:00",
        "played_ms": 30_000, "status": "completed", "reason": "", "trigger": "schedule",
        "operator": "", "run_id": 1,
    }  # fmt: skip
    return {"table": "airings", "seq": seq, "data": {**data, **changes}}


def plan(seq: int, plan_json: str, **changes: Any) -> dict[str, Any]:
    data = {
        "station_id": SID, "day": DAY, "version": seq, "effective_from": f"{DAY}T05:00:00+07:00",
        "reason": "start", "level": 1, "digest": "d", "plan_json": plan_json,
    }  # fmt: skip
    return {"table": "day_plans", "seq": seq, "data": {**data, **changes}}


def run(seq: int, **changes: Any) -> dict[str, Any]:
    data = {
        "station_id": SID, "id": seq, "pid": 10, "host": "pc", "audio_output": "pulse",
        "started_at": f"{DAY}T05:00:00+07:00", "last_seen": f"{DAY}T06:00:00+07:00",
    }  # fmt: skip
    return {"table": "daemon_runs", "seq": seq, "data": {**data, **changes}}


def level(seq: int, **changes: Any) -> dict[str, Any]:
    data = {
        "station_id": SID, "id": seq, "level": 2, "since": f"{DAY}T05:00:00+07:00",
        "reason": "surge", "operator": "ops",
    }  # fmt: skip
    return {"table": "alert_levels", "seq": seq, "data": {**data, **changes}}


BAD_ROWS = [
    airing(1, reason="mất điện\x00"),  # a NUL byte in a text
    airing(2, clip="bz/\x00.wav"),
    plan(3, json.dumps({"airings": [], "note": "a\x00b"})),  # \u0000 in the plan's JSON
    airing(4, run_id=2**63),  # integers out of range
    run(5, pid=2**40),
    run(6, id=2**64),
    level(7, id=2**70),
    level(8, level=10**12),
    plan(9, '{"airings": [], "requested": {"bz": 1e400}}'),
    plan(10, '{"airings": [], "requested": {"bz": 1000000000000000000000000000000}}'),
    airing(11, planned_start="0001-01-01T00:00:00+14:00"),  # a time far from its day
    airing(12, actual_end="9999-12-31T23:59:59+00:00"),
    {**airing(13), "seq": 2**63},  # a sequence number past BIGINT
    airing(14, planned_start="2020-09-05T06:00:00+07:00"),  # a month off its day
    plan(15, '{"airings": [], "requested": {"bz": 1}, "titles": ["Bluezone"]}'),  # not a map
    plan(16, json.dumps({"airings": [], "requested": {}, "titles": {"bz": "x" * 501}})),
    plan(17, '{"airings": [], "requested": {"bz": 1}, "titles": {"bz": 5}}'),
]


def test_bad_rows_are_refused_alone_and_the_rest_is_stored(hub: Hub) -> None:
    token = register(hub.engine, SID)
    good = [airing(20), level(21), run(22), plan(23, json.dumps({"airings": [],
            "requested": {"bz": 2}, "titles": {"bz": "Bluezone"}}))]  # fmt: skip
    body = _batch_body([*BAD_ROWS, *good], SID)
    for _ in range(2):  # and the same answer when the station sends it again
        status, answer = _post(hub.url, token, body)
        assert status == 200, answer
        assert answer["acked_seq"] == 23 and answer["stored"] == len(good)
        refused = answer["refused"]
        assert isinstance(refused, list) and len(refused) == len(BAD_ROWS)
    assert hub_count(hub.engine, "refused_rows", SID) == 2 * len(BAD_ROWS)
    assert hub_count(hub.engine, "airings", SID) == 1
    assert hub_count(hub.engine, "alert_levels", SID) == 1
    reasons = " ".join(str(r["reason"]) for r in refused)  # type: ignore[index]
    assert "NUL" in reasons and "not near the day" in reasons and "requested" in reasons
    assert "titles" in reasons
    assert hub.server.healthy()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ["station_id", "airing_id", "day", "campaign", "clip", "planned_start", "played_ms",
          "status", "trigger", "run_id", "reason", "actual_end"]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(field=st.sampled_from(FIELDS), value=JSON, table=st.sampled_from(["airings", "x", "clips"]))
def test_no_json_value_in_a_row_makes_the_hub_fail(
    hub_for_fuzz: tuple[Hub, str], field: str, value: Any, table: str
) -> None:
    hub, token = hub_for_fuzz
    row = airing(7, **{field: value})
    row["table"] = table
    status, answer = _post(hub.url, token, _batch_body([row, level(8)], SID))
    if field == "station_id" and isinstance(value, str) and value != SID:
        # a row naming another station refuses its batch (403), as a station's own rows must
        assert status == 403 and "belongs to station" in answer["detail"], answer
        return
    assert status == 200, answer
    assert answer["acked_seq"] == 8


@pytest.fixture(scope="module")
def hub_for_fuzz(pg: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.hub_bench import Hub

    h = Hub(pg, tmp_path_factory.mktemp("fuzz"))
    h.start()
    yield h, register(h.engine, SID)
    h.server.stop()
    h.engine.dispose()


def _request(hub: Hub, method: str, path: str, token: str, body: bytes = b"",
             **headers: str) -> tuple[int, bytes]:  # fmt: skip
    request = urllib.request.Request(
        f"{hub.url}{path}", data=body or None, method=method,
        headers={"Authorization": f"Bearer {token}", **headers},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_deep_json_long_ranges_big_reports_and_other_stations_bundles(hub: Hub) -> None:
    token = register(hub.engine, SID, "Huyện Bến Lức")
    other = register(hub.engine, "long-an/other", "Thành phố Tân An")
    deep = b'{"protocol": 1, "rows": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert _post(hub.url, token, deep)[0] == 400
    numbers = (
        b'{"protocol": 1, "rows": [{"table": "airings", "seq": 1, "data": ['
        + b"0," * (1 << 20)
        + b"0]}]}"
    )  # more values than a batch holds: refused before it is parsed
    status, answer = _post(hub.url, token, numbers)
    assert status == 413 and "values" in str(answer), answer
    published = publish(hub, BUNDLE, f"station:{SID}")
    assert published.exit_code == 0, published.output
    _, raw = _request(hub, "GET", "/api/v1/bundles", token)
    (manifest,) = json.loads(raw)["bundles"]
    blob = manifest["files"][0]["sha256"]
    ranged = _request(hub, "GET", f"/api/v1/blobs/{blob}", token, Range="bytes=" + "9" * 5000 + "-")
    assert ranged[0] == 416
    assert _request(hub, "GET", f"/api/v1/blobs/{blob}", token, Range="bytes=0-9")[0] == 206
    # a station's word on a bundle: only on one addressed to it
    word = {"name": manifest["name"], "version": manifest["version"], "state": "applied"}
    report = "/api/v1/bundles/report"
    mine = json.dumps(word).encode()
    assert (
        _request(hub, "POST", report, token, mine, **{"Content-Type": "application/json"})[0] == 200
    )
    refused = _request(hub, "POST", report, other, mine, **{"Content-Type": "application/json"})
    assert refused[0] == 400 and b"not addressed" in refused[1]
    wrong_version = json.dumps({**word, "version": 99}).encode()
    assert _request(hub, "POST", report, token, wrong_version)[0] == 400
    # a report far over its limit is refused as it arrives: the hub does not grow by it
    before = hub.server.rss_mb()
    host, port = hub.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.putrequest("POST", report)
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Transfer-Encoding", "chunked")  # no length to refuse it by
    conn.endheaders()
    try:
        for _ in range(200):  # 200 MiB, unless the hub hangs up first
            chunk = b"x" * (1 << 20)
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    assert conn.getresponse().status == 413
    conn.close()
    assert hub.server.rss_mb() < before + 50
    assert hub.server.healthy()


def _send_head_until_refused(hub: Hub, head: bytes, piece: bytes, limit: int) -> tuple[bytes, int]:
    """Send ``head``, then ``piece`` after ``piece`` (up to ``limit`` bytes) until the hub hangs
    up: (what it answered, bytes sent)."""
    host, port = hub.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(head)
        sent = len(head)
        try:
            while sent < limit:
                s.sendall(piece)
                sent += len(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    return answer, sent


def test_a_request_head_past_16_kib_is_refused_as_it_arrives(hub: Hub) -> None:
    """httptools (the hub's parser) sets no limit of its own: headers without end, or one header
    value without end, are refused (431) within a few chunks of 16 KiB, the hub not growing."""
    before = hub.server.rss_mb()
    start = b"POST /api/v1/upload HTTP/1.1\r\nHost: hub\r\n"
    many, sent = _send_head_until_refused(hub, start, b"X-Pad: " + b"a" * 1000 + b"\r\n", 64 << 20)
    assert many.startswith(b"HTTP/1.1 431"), many[:200]
    assert sent < 64 << 20
    endless, sent = _send_head_until_refused(hub, start + b"X-Long: ", b"b" * 4096, 64 << 20)
    assert endless.startswith(b"HTTP/1.1 431"), endless[:200]
    assert sent < 64 << 20
    assert hub.server.rss_mb() < before + 30
    # a long head within the limit (a proxy's headers, a long cookie) is served
    status, body = _request(hub, "GET", "/api/v1/health", "t", Cookie="c=" + "x" * 12_000)
    assert status == 200 and json.loads(body)["ok"]
