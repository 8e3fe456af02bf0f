"""Which clip each airing of a campaign plays.

Every rotation maps a campaign-wide airing number (0, 1, 2, ... counted from the campaign's first
day) to a clip, so it continues across days and does not depend on the period being planned.
"""

from __future__ import annotations

import hashlib
import random
from functools import lru_cache

from playout.schedule.model import Playlist, Rotation


def clip_index(playlist: Playlist, number: int, seed: str) -> int:
    n = len(playlist.clips)
    if n == 1:
        return 0
    if playlist.rotation is Rotation.IN_ORDER:
        return number % n
    if playlist.rotation is Rotation.SHUFFLE:
        cycle, pos = divmod(number, n)
        return _shuffled(n, seed, cycle)[pos]
    weights = tuple(c.weight for c in playlist.clips)
    sequence = _weighted_sequence(weights)
    return sequence[number % len(sequence)]


def _rng(seed: str, cycle: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}\x00{cycle}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


_SHUFFLES: dict[tuple[int, str], list[tuple[int, ...]]] = {}


def _shuffled(n: int, seed: str, cycle: int) -> tuple[int, ...]:
    """A shuffle of 0..n-1 for one pass over the playlist; never starts with the clip that
    ended the previous pass, so no clip plays twice in a row."""
    passes = _SHUFFLES.setdefault((n, seed), [])
    while len(passes) <= cycle:
        order = list(range(n))
        _rng(seed, len(passes)).shuffle(order)
        if passes and order[0] == passes[-1][-1]:
            order[0], order[1] = order[1], order[0]
        passes.append(tuple(order))
    return passes[cycle]


@lru_cache(maxsize=256)
def _weighted_sequence(weights: tuple[int, ...]) -> tuple[int, ...]:
    """Smooth weighted round-robin: each clip appears ``weight`` times per cycle, spread out."""
    total = sum(weights)
    current = [0] * len(weights)
    out = []
    for _ in range(total):
        for i, w in enumerate(weights):
            current[i] += w
        best = max(range(len(weights)), key=lambda i: (current[i], -i))
        current[best] -= total
        out.append(best)
    return tuple(out)
