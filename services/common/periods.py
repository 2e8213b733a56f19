"""Periods that fees are billed for, branches rated and compounds measured over: a year (2026), a
half year (2026-H2), a quarter (2026-Q3) or a month (2026-07)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from services.common.errors import InvalidInput

PERIOD = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4])|-H([12]))?$")


def require_period(value: str) -> str:
    period = (value or "").strip()
    if not PERIOD.match(period) or not 1 <= int(period[:4]) <= 9998:
        raise InvalidInput("period must be a year (2026), a half year (2026-H2), a quarter (2026-Q3) or a month "
                           "(2026-07)", field="period")
    return period


def _span(value: str) -> tuple[int, int, int]:
    """The period's year, first month and number of months."""
    year, month, quarter, half = PERIOD.match(require_period(value)).groups()  # type: ignore[union-attr]
    if month:
        return int(year), int(month), 1
    if quarter:
        return int(year), 3 * int(quarter) - 2, 3
    if half:
        return int(year), 6 * int(half) - 5, 6
    return int(year), 1, 12


def period_bounds(value: str) -> tuple[date, date]:
    """The first and the last day of a period."""
    year, first, months = _span(value)
    start = date(year, first, 1)
    after = date(year + (first + months - 1) // 12, (first + months - 1) % 12 + 1, 1)
    return start, after - timedelta(days=1)


def previous_period(value: str) -> str:
    """The period of the same kind just before: 2026-07 → 2026-06, 2026-Q1 → 2025-Q4, 2026-H1 → 2025-H2."""
    period = require_period(value)
    year, first, months = _span(period)
    index = (year * 12 + first - 1 - months)
    year, first = divmod(index, 12)
    if year < 1:
        raise InvalidInput("period has no period before it", field="period")
    if months == 12:
        return f"{year}"
    if months == 6:
        return f"{year}-H{first // 6 + 1}"
    if months == 3:
        return f"{year}-Q{first // 3 + 1}"
    return f"{year}-{first + 1:02d}"


def period_of(day: date, like: str) -> str:
    """The period of the same kind as ``like`` that holds ``day``."""
    months = _span(like)[2]
    if months == 12:
        return f"{day.year}"
    if months == 6:
        return f"{day.year}-H{(day.month - 1) // 6 + 1}"
    if months == 3:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"
