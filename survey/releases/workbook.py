"""Writing a planned workbook with XlsxWriter: plain Python lists in, xlsx bytes out.

survey.releases.xlsx decides what the workbook says (sheets, rows, words); this module
only writes it. It imports neither the ORM nor pandas, so a child process can write a big
workbook beside the parent's other work (XlsxWriter holds the interpreter throughout: a
thread would not run beside it) after importing little more than XlsxWriter:

    python -m survey.releases.workbook PLAN OUT

reads the pickled BookPlan in file PLAN (written by the parent, in a directory only it can
read), writes the workbook to OUT and prints its peak resident memory in MB. `Child`
starts it from the parent and reads what it wrote.
"""
from __future__ import annotations

import io
import logging
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

SHEET_ROWS = 1_000_000       # Excel allows 1,048,576 rows per sheet
HEADERS = ["Indicator", "Level", "Organisation code", "Organisation", "Characteristic", "Group",
           "Base", "Count", "Percent", "95% CI low", "95% CI high", "Status"]
WIDTHS = [10, 11, 14, 30, 26, 26, 8, 8, 9, 11, 11, 44]

log = logging.getLogger(__name__)


@dataclass
class Block:
    """One indicator's rows, column by column. Where `shown[j]` is false the numbers are
    written as `*` and `status[j]` says why."""
    title: str
    indicator: str
    level: list
    code: list
    name: list
    dimension: list
    group: list
    base: list
    count: list
    percent: list
    ci_low: list
    ci_high: list
    shown: list
    status: list

    def __len__(self) -> int:
        return len(self.level)


@dataclass
class FamilySheet:
    name: str
    title: str
    note: str
    footnote: str
    blocks: list = field(default_factory=list)


@dataclass
class BookPlan:
    families: list                   # FamilySheet
    notes_title: str
    notes: list                      # rows of text; a row of one string in bold starts a section
    bold_notes: set = field(default_factory=set)

    def rows(self) -> int:
        return sum(len(b) for f in self.families for b in f.blocks)


def render(plan: BookPlan) -> bytes:
    buf = io.BytesIO()
    # constant_memory: each row goes to a temporary file as soon as the next one starts,
    # so a workbook of 150,000 rows never sits in memory as cell objects. Text stays text:
    # an organisation named "=HYPERLINK(...)" must not become a formula or a link.
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    styles = _Styles(wb)
    for family in plan.families:
        _family_sheets(wb, styles, family)
    _notes_sheet(wb, styles, plan)
    wb.close()
    return buf.getvalue()


class _Styles:
    def __init__(self, wb):
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True})
        self.head = wb.add_format({"bold": True, "bg_color": "#E8EDEE", "pattern": 1, "text_wrap": True,
                                   "valign": "top"})
        self.number = wb.add_format({"num_format": "0.00"})


class _Sheet:
    """A worksheet written row after row (XlsxWriter's constant_memory mode needs that)."""

    def __init__(self, wb, name: str):
        self.ws = wb.add_worksheet(name[:31])
        self.row = 0

    def append(self, values=(), fmt=None) -> int:
        if values:
            self.ws.write_row(self.row, 0, list(values), fmt)
        self.row += 1
        return self.row - 1


def _new_sheet(wb, styles, name: str, family: FamilySheet) -> _Sheet:
    sheet = _Sheet(wb, name)
    for i, w in enumerate(WIDTHS):
        sheet.ws.set_column(i, i, w)
    sheet.ws.freeze_panes(4, 0)
    sheet.append([family.title], styles.title)
    sheet.append([family.note])
    sheet.append()
    sheet.append(HEADERS, styles.head)
    return sheet


def _filter(sheet: _Sheet) -> None:
    """A filter button on each heading, over every row of the sheet's table (its blocks'
    titles included, so filtering by a column hides them too)."""
    sheet.ws.autofilter(3, 0, max(sheet.row - 1, 3), len(HEADERS) - 1)


def _family_sheets(wb, styles, family: FamilySheet) -> None:
    sheet = _new_sheet(wb, styles, family.name, family)
    rows_in_sheet, part = 0, 1
    for b in family.blocks:
        sheet.append()
        sheet.append([b.title], styles.bold)
        ws = sheet.ws
        for j in range(len(b)):
            if rows_in_sheet >= SHEET_ROWS:
                _filter(sheet)
                sheet.append([family.footnote])
                part += 1
                sheet = _new_sheet(wb, styles, f"{family.name} ({part})", family)
                ws = sheet.ws
                rows_in_sheet = 0
            r = sheet.row
            sheet.row += 1
            # known types: write_string and write_number skip write()'s guessing of each value
            ws.write_string(r, 0, b.indicator)
            ws.write_string(r, 1, b.level[j])
            ws.write_string(r, 2, b.code[j])
            ws.write_string(r, 3, b.name[j])
            ws.write_string(r, 4, b.dimension[j])
            ws.write_string(r, 5, b.group[j])
            if b.shown[j]:
                ws.write_number(r, 6, b.base[j])
                ws.write_number(r, 7, b.count[j])
                ws.write_number(r, 8, b.percent[j], styles.number)
                ws.write_number(r, 9, b.ci_low[j], styles.number)
                ws.write_number(r, 10, b.ci_high[j], styles.number)
            else:
                for c in range(6, 11):
                    ws.write_string(r, c, "*")
            ws.write_string(r, 11, b.status[j])
            rows_in_sheet += 1
    _filter(sheet)
    sheet.append()
    sheet.append([family.footnote])


def _notes_sheet(wb, styles, plan: BookPlan) -> None:
    sheet = _Sheet(wb, "Notes")
    sheet.ws.set_column(0, 0, 28)
    sheet.ws.set_column(1, 1, 110)
    sheet.append([plan.notes_title], styles.title)
    for i, row in enumerate(plan.notes):
        sheet.append(row, styles.bold if i in plan.bold_notes else None)


def peak_mb() -> float | None:
    """This process's peak resident memory in MB, from /proc (Linux; else None). Not
    getrusage: in a child it counts the instant the child was a copy of its parent."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:")) / 1024.0
    except (OSError, StopIteration, ValueError, IndexError):
        return None


class Child:
    """`python -m survey.releases.workbook` writing a plan, started by the parent. A plain
    child process, not multiprocessing's: that would import the caller's main script again
    in the child."""

    def __init__(self, plan: BookPlan):
        self.rows = plan.rows()
        self.dir = Path(tempfile.mkdtemp(prefix="survey-xlsx-"))        # only this user can read it
        try:
            with (self.dir / "plan.pickle").open("wb") as fh:
                pickle.dump(plan, fh, protocol=pickle.HIGHEST_PROTOCOL)
            # the survey package this process runs, wherever it was imported from
            here = str(Path(__file__).resolve().parents[2])
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)}
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "survey.releases.workbook", str(self.dir / "plan.pickle"),
                 str(self.dir / "indicators.xlsx")],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def result(self) -> bytes | None:
        """The workbook's bytes, or None (logged) if the child failed."""
        try:
            out, err = self.proc.communicate()
            if self.proc.returncode != 0:
                last = (err.strip().splitlines() or ["no message"])[-1]
                log.warning("indicators.xlsx could not be written in a child process (exit %s: %s): writing it here",
                            self.proc.returncode, last)
                return None
            data = (self.dir / "indicators.xlsx").read_bytes()
            peak = float(out) if out.strip() else None
            log.info("indicators.xlsx: %d rows written by a child process (peak %s MB)", self.rows,
                     "unknown" if peak is None else f"{peak:.0f}", extra={"child_peak_mb": peak})
            return data
        except (OSError, ValueError) as exc:
            log.warning("indicators.xlsx could not be read from its child process (%s): writing it here", exc)
            return None
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def kill(self) -> None:
        """Stop the child (if it is still writing) and remove its files."""
        try:
            self.proc.kill()
            self.proc.communicate()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m survey.releases.workbook PLAN OUT", file=sys.stderr)
        return 2
    with open(argv[0], "rb") as fh:
        plan = pickle.load(fh)
    data = render(plan)
    with open(argv[1], "wb") as fh:
        fh.write(data)
    peak = peak_mb()
    print("" if peak is None else f"{peak:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
