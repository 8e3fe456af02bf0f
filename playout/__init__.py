"""playout: the playout scheduler for district and commune broadcasting stations."""

from __future__ import annotations

__version__ = "0.1.0"
