"""Dates as a coach reads them on a page: '3 december 2026', never 2026-12-03 (the report's
months; this filter takes a date or its YYYY-MM-DD text alike)."""
from __future__ import annotations

from datetime import date
from typing import Any

from ..report.render import MONTHS_NL


def dutch_date(value: Any) -> str:
    """A date (or its YYYY-MM-DD text) in Dutch; anything else is shown as it is."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, date):
        return f"{value.day} {MONTHS_NL[value.month - 1]} {value.year}"
    return "–" if value is None else str(value)
