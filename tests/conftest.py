from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.audio_bench import PulseBench
from tests.helpers import StationFolder
from tests.pg_bench import PostgresCluster

if TYPE_CHECKING:
    from tests.hub_bench import Hub

# The suite reads the English messages (their words are asserted in many tests, and the
# subprocesses they start inherit this); tests/test_words.py renders them in Vietnamese, the
# operators' default.
os.environ["PLAYOUT_LANG"] = "en"


@pytest.fixture(scope="session")
def tone_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tones")


@pytest.fixture
def station(tmp_path: Path, tone_cache: Path) -> StationFolder:
    return StationFolder(tmp_path / "station", tone_cache)


@pytest.fixture(scope="session")
def pulse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseBench]:
    """A private PulseAudio null sink for the whole test session; PULSE_SERVER points at it."""
    bench = PulseBench(tmp_path_factory.mktemp("pulse"))
    bench.start()
    old = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = bench.server
    yield bench
    bench.stop()
    if old is None:
        os.environ.pop("PULSE_SERVER", None)
    else:
        os.environ["PULSE_SERVER"] = old


@pytest.fixture(scope="session")
def pg() -> Iterator[PostgresCluster]:
    """A private PostgreSQL cluster for the hub's tests (one per test session)."""
    from tests.hub_bench import free_port  # the hub's packages only where a hub test runs

    cluster = PostgresCluster(port=free_port())
    cluster.init()
    cluster.start()
    yield cluster
    cluster.cleanup()


@pytest.fixture
def hub(pg: PostgresCluster, tmp_path: Path) -> Iterator[Hub]:
    """A started hub with its own database (``playout hub serve`` on 127.0.0.1)."""
    from tests.hub_bench import Hub

    h = Hub(pg, tmp_path)
    h.start()
    yield h
    h.server.stop()
    h.engine.dispose()
