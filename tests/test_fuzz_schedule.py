"""Careless and hostile edits of the sample's YAML: every one gets located messages, never a
traceback, and is judged quickly (hypothesis mutates the real sample files)."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playout.library import ClipChecker
from playout.station_folder import load_station
from tests.helpers import REPO

FILES = ["schedules/tan-an.yaml", "playlists/bluezone.yaml", "playlists/covid-prevention.yaml"]
JUNK = [
    "99999999999d",
    "1000000000d",
    "-5m",
    "0s",
    "10",
    "-1",
    "1e308",
    "99999999999999999999999",
    "Tân An 🎙",
    "\u202e",
    "",
    "~",
    "[",
    "{a: b}",
    "&x",
    "*x",
    "!!python/object:os.system",
    "2020-13-45",
    "31/02/2020",
    "25:61",
    "yes",
    "null",
    '"\\0"',
]
LOCATED = re.compile(r"^[^:]+:\d+:\d+: (error|warning): ")
_CHECKER = ClipChecker()  # shared, so each example does not probe the clips again


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(st.sampled_from(FILES))
    lines = (REPO / name).read_text(encoding="utf-8").splitlines(keepends=True)
    op = draw(st.sampled_from(["delete", "duplicate", "swap", "truncate", "scalar", "nul"]))
    i = draw(st.integers(0, len(lines) - 1))
    j = draw(st.integers(0, len(lines) - 1))
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "swap":
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "truncate":
        text = "".join(lines)
        return name, text[: draw(st.integers(0, len(text)))]
    elif op == "scalar":
        junk = draw(st.sampled_from(JUNK))
        lines[i] = re.sub(r":\s*([^\s#{\[][^#,}\]]*)", f": {junk}", lines[i], count=1)
    else:
        at = draw(st.integers(0, len(lines[i])))
        lines[i] = lines[i][:at] + "\0" + lines[i][at:]
    return name, "".join(lines)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz") / "sample"
    for part in ("schedules", "playlists", "audio"):
        shutil.copytree(REPO / part, root / part)
    return root


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mutation=mutations())
def test_mutated_sample_gets_located_messages_fast(sample: Path, mutation: tuple[str, str]) -> None:
    name, text = mutation
    path = sample / name
    original = (REPO / name).read_bytes()
    path.write_text(text, encoding="utf-8")
    try:
        started = time.monotonic()
        loaded = load_station(sample, checker=_CHECKER)  # never raises for bad input
        took = time.monotonic() - started
    finally:
        path.write_bytes(original)
    for problem in loaded.problems:
        line = problem.format().splitlines()[0]
        assert LOCATED.match(line), line
        assert problem.location.line >= 1
    assert took < 3, f"{took:.1f} s to judge one edit"
