"""Click parameter types for operator values (dates as dd/mm/yyyy)."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from playout.schedule.types import parse_date


class DateParam(click.ParamType[date, Any]):
    name = "dd/mm/yyyy"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        try:
            return parse_date(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DATE = DateParam()
