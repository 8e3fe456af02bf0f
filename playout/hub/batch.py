"""A batch's rows checked one by one: the valid ones kept (the newest of each key), the rest
refused alone with their reason, and what the hub keeps of a refused row."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from playout.hub.rows import AiringIn, AlertLevelIn, ClipIn, DaemonRunIn, DayPlanIn, _Row, parse_row


class WrongStation(Exception):
    """A row names another station than the token's."""


@dataclass
class Sorted:
    rows: dict[str, dict[tuple[Any, ...], tuple[int, _Row]]] = field(default_factory=dict)
    refused: list[tuple[int, str, str, Any]] = field(default_factory=list)


def _key(table: str, row: _Row) -> tuple[Any, ...]:
    if isinstance(row, AiringIn):
        return (row.airing_id, row.day)
    if isinstance(row, DayPlanIn):
        return (row.day, row.version)
    if isinstance(row, DaemonRunIn | AlertLevelIn):
        return (row.id,)
    assert isinstance(row, ClipIn)
    return (row.sha256,)


def seq_of(item: Any) -> int | None:
    """A row's sequence number, or None when it has no valid one (refused as such)."""
    seq = item.get("seq") if isinstance(item, dict) else None
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**63:
        return None
    return seq


def sort_rows(station_id: str, raw_rows: list[Any]) -> Sorted:
    """Validate every row (bad ones refused alone), keep the newest of each key.

    Raises WrongStation when any row names another station: nothing of the batch is written."""
    out = Sorted()
    for item in raw_rows:
        seq = seq_of(item)
        if seq is None:
            out.refused.append((-1, "?", "a row without a valid 'seq'", item))
            continue
        table = str(item.get("table", ""))[:100]
        data = item.get("data")
        named = data.get("station_id", station_id) if isinstance(data, dict) else station_id
        if isinstance(named, str) and named != station_id:  # another station's row: no
            raise WrongStation(f"row {seq} belongs to station {named[:80]!r}")
        try:
            row = parse_row(table, data)
        except ValueError as exc:
            out.refused.append((seq, table, str(exc), data))
            continue
        bucket = out.rows.setdefault(table, {})
        key = _key(table, row)
        if key not in bucket or bucket[key][0] < seq:
            bucket[key] = (seq, row)
    return out


def storable(text: str) -> str:
    """Text PostgreSQL can hold: a NUL character is written as \\0."""
    return text.replace("\x00", "\\0")


REFUSED_KEEP = 20_000  # characters of a refused row kept for the province to read


def storable_json(data: Any) -> dict[str, Any]:
    """A refused row as a JSON object PostgreSQL's JSONB takes, whatever the station sent (NUL
    characters, numbers out of any range, infinities): the row itself when it is safe, else its
    JSON text, cut to a readable length."""
    try:
        text = json.dumps(data, ensure_ascii=False, default=repr)
    except (ValueError, TypeError, RecursionError):  # a number too long to write, ...
        return {"value": "(a row that cannot be written back as JSON)"}
    safe = (
        isinstance(data, dict)
        and len(text) <= REFUSED_KEEP
        and "\\u0000" not in text
        and "Infinity" not in text
        and "NaN" not in text
    )
    if safe:
        return dict(data)
    return {"value": storable(text[:REFUSED_KEEP])}


def _months(days: list[date]) -> set[tuple[int, int]]:
    return {(d.year, d.month) for d in days}


def acked_seq(sorted_rows: Sorted) -> int:
    """The highest sequence number of the batch's rows (stored or refused alone)."""
    seqs = [s for s, *_ in sorted_rows.refused] + [
        s for bucket in sorted_rows.rows.values() for s, _ in bucket.values()
    ]
    return max(seqs, default=0)


def months_of(sorted_rows: Sorted) -> set[tuple[int, int]]:
    """The months of the batch's airings (each is a partition)."""
    return _months(
        [r.day for _, r in sorted_rows.rows.get("airings", {}).values() if isinstance(r, AiringIn)]
    )
