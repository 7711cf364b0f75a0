"""Dates as a coach reads them on a page: '3 december 2026', never 2026-12-03 (the report's
months; this filter takes a date or its YYYY-MM-DD text alike)."""
from __future__ import annotations

import re
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


_ISO = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def dutch_dates_in(text: str) -> str:
    """A sentence of the engine's with its YYYY-MM-DD dates said in Dutch (the advice itself keeps them)."""
    return _ISO.sub(lambda found: dutch_date(found.group(1)), text)
