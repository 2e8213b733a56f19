"""Periods that fees are billed for and branches are rated over: a year (2026), a quarter
(2026-Q3) or a month (2026-07)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from services.common.errors import InvalidInput

PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?$")


def require_period(value: str) -> str:
    period = (value or "").strip()
    if not PERIOD.match(period):
        raise InvalidInput("period must be a year (2026), a quarter (2026-Q3) or a month (2026-07)",
                           field="period")
    return period


def period_bounds(value: str) -> tuple[date, date]:
    """The first and the last day of a period."""
    year, month, quarter = PERIOD.match(require_period(value)).groups()  # type: ignore[union-attr]
    if month:
        first, months = int(month), 1
    elif quarter:
        first, months = 3 * int(quarter) - 2, 3
    else:
        first, months = 1, 12
    start = date(int(year), first, 1)
    after = date(int(year) + (first + months - 1) // 12, (first + months - 1) % 12 + 1, 1)
    return start, after - timedelta(days=1)
