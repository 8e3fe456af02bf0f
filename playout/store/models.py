"""ORM classes for the tables. The tables themselves are created by migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ClipRow(Base):
    """One version of a clip in the audio library, named by the sha256 of its playout copy.

    The sha256 is the clip's id everywhere (also across stations); a file that is re-imported
    with other audio is a new row, so old airings keep naming the exact audio they played.
    """

    __tablename__ = "clips"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    file: Mapped[str] = mapped_column(String(500), index=True)  # relative to audio/
    title: Mapped[str] = mapped_column(String(500), default="")
    duration_ms: Mapped[int] = mapped_column(Integer)
    sample_rate: Mapped[int] = mapped_column(Integer)
    channels: Mapped[int] = mapped_column(Integer)
    loudness_before: Mapped[float] = mapped_column(Float)  # LUFS integrated
    peak_before: Mapped[float] = mapped_column(Float)  # dBTP
    loudness_after: Mapped[float] = mapped_column(Float)
    peak_after: Mapped[float] = mapped_column(Float)
    trimmed_ms: Mapped[int] = mapped_column(Integer, default=0)
    source_name: Mapped[str] = mapped_column(String(500))
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
