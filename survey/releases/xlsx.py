"""indicators.xlsx: the release as a workbook for people.

One sheet per indicator family (WRES, WDES, Other) with readable headings, a Notes sheet
with each indicator's definition in words, the suppression rule and the build date.
Hidden cells show `*` and the status column says why in words; a footnote repeats it.
A workbook is for reading: when a release is too big for one (national scale), the
finest organisation levels are left to indicators.csv and the workbook says so.
"""
from __future__ import annotations

import io
import json

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.definitions.model import SurveyDefinition
from survey.models import Wave
from survey.models.releases import Release, ReleasePart
from survey.releases.build import load_table, part_bytes, release_indicators
from survey.releases.outputs import (
    LEVEL_LABELS, LEVEL_ORDER, Labels, benchmarks_for, rule_words, suppression_words, withheld_words,
)

MAX_ROWS = 150_000           # cells in the workbook, all sheets together (openpyxl writes ~20k rows a second)
SHEET_ROWS = 1_000_000       # Excel allows 1,048,576 rows per sheet
HEADERS = ["Indicator", "Level", "Organisation code", "Organisation", "Characteristic", "Group",
           "Base", "Count", "Percent", "95% CI low", "95% CI high", "Status"]
WIDTHS = [10, 11, 14, 30, 26, 26, 8, 8, 9, 11, 11, 44]
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEAD_FILL = PatternFill("solid", fgColor="E8EDEE")


def predicate_words(tree: dict, definition: SurveyDefinition | None) -> str:
    if "column" in tree:
        qid, codes = tree["column"], tree["in"]
        q = definition.question(qid) if definition else None
        names = [(q.label_for(str(c)) if q else None) or str(c) for c in codes]
        what = f"{qid} ({q.text})" if q else qid
        if len(what) > 90:
            what = what[:87] + "..."
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return f"{what} is {listed}"
    op, joiner = ("any", " or ") if "any" in tree else ("all", " and ")
    return "(" + joiner.join(predicate_words(c, definition) for c in tree[op]) + ")"


def _definition(wave: Wave) -> SurveyDefinition | None:
    try:
        return SurveyDefinition.from_json(wave.definition_json)
    except (ValueError, KeyError, TypeError):
        return None


def _levels_that_fit(counts: dict[str, int]) -> list[str]:
    levels = [lv for lv in LEVEL_ORDER if counts.get(lv)]
    while len(levels) > 1 and sum(counts[lv] for lv in levels) > MAX_ROWS:
        levels.pop()
    return levels


def stored_workbook(session: Session, wave: Wave, release: Release, labels: Labels | None = None) -> bytes:
    """indicators.xlsx of a frozen release, written once and kept with it (a release part of
    kind `xlsx`): writing a regional workbook takes openpyxl tens of seconds, too long to
    repeat for every download. The first download (or the report command) writes it; the
    caller commits. A rebuilt release is a new version with parts of its own."""
    data = part_bytes(release, "xlsx")
    if data is not None:
        return data
    data = indicators_xlsx(session, wave, release, labels)
    try:
        with session.begin_nested():
            session.add(ReleasePart(release_id=release.id, kind="xlsx", key="", data=data))
    except IntegrityError:
        pass            # two first downloads at once: the other stored the same workbook
    return data


def indicators_xlsx(session: Session, wave: Wave, release: Release, labels: Labels | None = None) -> bytes:
    labels = labels or Labels.load()
    ids = release_indicators(release)
    tables = {iid: load_table(session, release, iid) for iid in ids}
    counts: dict[str, int] = {}
    for t in tables.values():
        for lv, n in t["org_level"].astype(str).value_counts().items():
            counts[lv] = counts.get(lv, 0) + int(n)
    levels = _levels_that_fit(counts)
    left_out = [LEVEL_LABELS[lv] for lv in LEVEL_ORDER if counts.get(lv) and lv not in levels]
    built = release.built_at.date().isoformat()
    footnote = (f"* Not shown: {suppression_words('primary', release)}, or "
                f"{suppression_words('secondary', release)}. See the Notes sheet.")

    wb = Workbook(write_only=True)
    families: dict[str, list[str]] = {}
    for iid in ids:
        fam = labels.indicators[iid].family if iid in labels.indicators else "Other"
        families.setdefault(fam, []).append(iid)
    for fam, fam_ids in families.items():
        _family_sheets(wb, fam, fam_ids, tables, levels, labels, release, wave, built, footnote, left_out)
    _notes_sheet(wb, wave, release, ids, labels, built, left_out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _new_sheet(wb, name, wave, release, built, fam, left_out):
    ws = wb.create_sheet(name[:31])
    for i, w in enumerate(WIDTHS):
        ws.column_dimensions[chr(65 + i)].width = w
    ws.freeze_panes = "A5"
    title = WriteOnlyCell(ws, value=f"{fam} indicators: {wave.name}")
    title.font = TITLE
    ws.append([title])
    note = f"Release version {release.version}, built {built}. * = not shown (see the foot of this sheet and the Notes sheet)."
    if left_out:
        note += f" {', '.join(left_out)} results are in indicators.csv (too many rows for a workbook)."
    ws.append([note])
    ws.append([])
    head = []
    for h in HEADERS:
        c = WriteOnlyCell(ws, value=h)
        c.font, c.fill = BOLD, HEAD_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")
        head.append(c)
    ws.append(head)
    return ws


def _family_sheets(wb, fam, fam_ids, tables, levels, labels, release, wave, built, footnote, left_out):
    ws = _new_sheet(wb, fam, wave, release, built, fam, left_out)
    rows_in_sheet, part = 0, 1
    for iid in fam_ids:
        t = tables[iid]
        t = t[t["org_level"].astype(str).isin(levels)]
        rank = t["org_level"].astype(str).map({lv: i for i, lv in enumerate(LEVEL_ORDER)})
        t = t.assign(_r=rank.to_numpy()).sort_values(["_r", "org_code"], kind="stable")
        ind_title = iid
        heading = WriteOnlyCell(ws, value=f"{iid}: {labels.indicator(iid)}")
        heading.font = BOLD
        ws.append([])
        ws.append([heading])
        dim_titles = {d: labels.dimension(d) for d in labels.dimensions}
        for r in t.itertuples(index=False):
            if rows_in_sheet >= SHEET_ROWS:
                ws.append([footnote])
                part += 1
                ws = _new_sheet(wb, f"{fam} ({part})", wave, release, built, fam, left_out)
                rows_in_sheet = 0
            st = str(r.status)
            if st == "ok":
                vals = [int(r.base), int(r.count), _num(ws, r.percent), _num(ws, r.ci_low), _num(ws, r.ci_high), "Shown"]
            else:
                vals = ["*"] * 5 + ["Not shown: " + suppression_words(st, release)]
            ws.append([ind_title, LEVEL_LABELS.get(str(r.org_level), str(r.org_level)), str(r.org_code),
                       str(r.org_name), dim_titles.get(str(r.dimension), str(r.dimension)), str(r.group), *vals])
            rows_in_sheet += 1
    ws.append([])
    ws.append([footnote])


def _num(ws, value):
    cell = WriteOnlyCell(ws, value=float(value))
    cell.number_format = "0.00"
    return cell


def _notes_sheet(wb, wave, release, ids, labels, built, left_out):
    ws = wb.create_sheet("Notes")
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 110
    definition = _definition(wave)
    title = WriteOnlyCell(ws, value=f"Notes: {wave.name}")
    title.font = TITLE
    ws.append([title])
    ws.append(["Survey", wave.survey_id])
    ws.append(["Release", f"version {release.version}, built {built}"])
    ws.append(["Suppression rule", rule_words(release)])
    ws.append(["* (not shown)", f"{suppression_words('primary', release)}; or {suppression_words('secondary', release)}."])
    ws.append(["Percent", "Count divided by base, to 2 decimal places. 95% CI: Wilson score interval."])
    if left_out:
        ws.append(["Levels not in this workbook", ", ".join(left_out) + ": see indicators.csv."])
    for what in withheld_words(json.loads(release.audit_json or "{}"), labels):
        ws.append(["Not in this release", f"{what}: some of its small numbers could not be protected."])
    ws.append([])
    head = WriteOnlyCell(ws, value="Indicator definitions")
    head.font = BOLD
    ws.append([head])
    for iid in ids:
        ind = labels.indicators.get(iid)
        if ind is None:
            continue
        ws.append([f"{iid} ({ind.family})", ind.title])
        ws.append(["  counted (numerator)", predicate_words(ind.numerator.to_dict(), definition)])
        ws.append(["  out of (base)", predicate_words(ind.base.to_dict(), definition)])
        if ind.comparisons:
            ws.append(["  compares", "; ".join(f"{a} with {b} ({labels.dimension(d)})" for d, a, b in ind.comparisons)])
        if ind.same_as:
            ws.append(["  same numbers as", f"{ind.same_as}: released with the same suppression"])
        bench = benchmarks_for(iid)
        if len(bench):
            ws.append(["  national figures", "; ".join(f"{g} {p:.1f}% ({y})" for g, p, y in
                                                       bench[["group", "percent", "year"]].itertuples(index=False))
                       + ". Source: " + str(bench["source"].iloc[0])])
