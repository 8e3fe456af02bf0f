"""The schema's value types (pydantic) for times, dates, durations and weekdays, built on the
plain parsers and formatters of ``values.py`` (re-exported here)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, PlainSerializer

from playout.i18n import msg
from playout.schedule.values import (
    ALL_DAYS as ALL_DAYS,
)
from playout.schedule.values import (
    MAX_DAYS as MAX_DAYS,
)
from playout.schedule.values import (
    WEEKDAY_NAMES as WEEKDAY_NAMES,
)
from playout.schedule.values import (
    WEEKDAYS as WEEKDAYS,
)
from playout.schedule.values import (
    format_date as format_date,
)
from playout.schedule.values import (
    format_duration as format_duration,
)
from playout.schedule.values import (
    format_span as format_span,
)
from playout.schedule.values import (
    format_time as format_time,
)
from playout.schedule.values import (
    parse_date as parse_date,
)
from playout.schedule.values import (
    parse_duration as parse_duration,
)
from playout.schedule.values import (
    parse_time as parse_time,
)
from playout.schedule.values import (
    parse_weekdays as parse_weekdays,
)


def duration_between(low: timedelta, high: timedelta) -> AfterValidator:
    """A range check for one setting, with the range in the message."""

    def check(value: timedelta) -> timedelta:
        if not low <= value <= high:
            raise ValueError(
                msg(
                    "{value} is out of range: it must be between {low} and {high}",
                    value=format_span(value),
                    low=format_span(low),
                    high=format_span(high),
                )
            )
        return value

    return AfterValidator(check)


TimeOfDay = Annotated[time, BeforeValidator(parse_time), PlainSerializer(format_time)]
Date = Annotated[date, BeforeValidator(parse_date), PlainSerializer(format_date)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_span)]
Weekdays = Annotated[
    frozenset[int],
    BeforeValidator(parse_weekdays),
    PlainSerializer(lambda d: [WEEKDAY_NAMES[i] for i in sorted(d)]),
]
