from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import StationFolder


@pytest.fixture(scope="session")
def tone_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tones")


@pytest.fixture
def station(tmp_path: Path, tone_cache: Path) -> StationFolder:
    return StationFolder(tmp_path / "station", tone_cache)
