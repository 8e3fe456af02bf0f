"""Click parameter types for operator values (dates as dd/mm/yyyy)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import click

from playout.schedule.values import parse_date, parse_duration


class DateParam(click.ParamType[date, Any]):
    name = "dd/mm/yyyy"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        try:
            return parse_date(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DATE = DateParam()


class DurationParam(click.ParamType[timedelta, Any]):
    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DURATION = DurationParam()
