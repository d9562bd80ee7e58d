"""Reading an uploaded or imported CSV file, with problems reported by line and column.

Imports are all-or-nothing: every problem is collected into one `InvalidFile`, and
nothing is stored unless there are none.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterator


class InvalidFile(ValueError):
    """Every problem found in a file, each a line like 'line 4: ...'."""

    def __init__(self, problems: list[str], what: str = "file"):
        self.problems = list(problems)
        self.what = what
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"Nothing was imported: the {self.what} has {n} problem{'s' if n != 1 else ''}."
        return "\n".join([head] + self.problems)


def read_text(path) -> str:
    """The file's text (UTF-8, with or without a byte-order mark)."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise InvalidFile([f"{path}: file not found"]) from None
    except OSError as exc:
        raise InvalidFile([f"{path}: cannot be read ({exc.strerror})"]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidFile([f"line {line}: the file is not UTF-8 text; save it as 'CSV UTF-8' and try again"]) from None


def rows(text: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header (stripped names) and an iterator of (line number, values) for the data
    rows; blank lines are skipped. Line 1 is the header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidFile(["line 1: the file is empty; the first line must name the columns"]) from None
    except csv.Error as exc:
        raise InvalidFile([f"line 1: not a valid CSV line ({exc})"]) from None
    header = [h.strip() for h in header]

    def data() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InvalidFile([f"line {start}: not a valid CSV line ({exc})"]) from None
            if values and any(v.strip() for v in values):
                yield start, values
            start = reader.line_num + 1

    return header, data()


def column_name(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names the column."""
    name, n = "", index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        name = chr(65 + rem) + name
    return name
