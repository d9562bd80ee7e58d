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
from dataclasses import dataclass

import xlsxwriter
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.definitions.model import SurveyDefinition
from survey.models import Wave
from survey.models.releases import Release, ReleasePart
from survey.releases.build import load_table, part_bytes, release_indicators
from survey.releases.outputs import (
    LEVEL_LABELS, LEVEL_ORDER, Labels, benchmarks_for, rule_words, suppression_words, withheld_words,
)

MAX_ROWS = 150_000           # cells in the workbook, all sheets together (XlsxWriter writes ~16k rows a second)
SHEET_ROWS = 1_000_000       # Excel allows 1,048,576 rows per sheet
HEADERS = ["Indicator", "Level", "Organisation code", "Organisation", "Characteristic", "Group",
           "Base", "Count", "Percent", "95% CI low", "95% CI high", "Status"]
WIDTHS = [10, 11, 14, 30, 26, 26, 8, 8, 9, 11, 11, 44]



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


def stored_workbook(session: Session, wave: Wave, release: Release, labels: Labels | None = None,
                    tables: dict | None = None) -> bytes:
    """indicators.xlsx of a frozen release, written once and kept with it (a release part of
    kind `xlsx`): writing a regional workbook takes several seconds, too long to
    repeat for every download. The first download (or the report command) writes it; the
    caller commits. A rebuilt release is a new version with parts of its own. `tables`
    (indicator -> frame): the release's tables if the caller has read them already."""
    data = part_bytes(release, "xlsx")
    if data is not None:
        return data
    data = indicators_xlsx(session, wave, release, labels, tables)
    try:
        with session.begin_nested():
            session.add(ReleasePart(release_id=release.id, kind="xlsx", key="", data=data))
    except IntegrityError:
        pass            # two first downloads at once: the other stored the same workbook
    return data


@dataclass(frozen=True)
class BookFacts:
    """What the workbook says of its wave and release, read from the ORM objects up front
    so that `render_workbook` needs no session."""
    wave_name: str
    survey_id: str
    definition: SurveyDefinition | None
    version: int
    built: str
    rule: str
    hidden: dict                      # status ("primary", "secondary") -> why hidden, in words
    footnote: str
    withheld: list

    @classmethod
    def of(cls, wave: Wave, release: Release, labels: Labels) -> "BookFacts":
        return cls(wave.name, wave.survey_id, _definition(wave), release.version, release.built_at.date().isoformat(),
                   rule_words(release),
                   {st: suppression_words(st, release) for st in ("primary", "secondary")},
                   f"* Not shown: {suppression_words('primary', release)}, or "
                   f"{suppression_words('secondary', release)}. See the Notes sheet.",
                   withheld_words(json.loads(release.audit_json or "{}"), labels))


def indicators_xlsx(session: Session, wave: Wave, release: Release, labels: Labels | None = None,
                    tables: dict | None = None) -> bytes:
    labels = labels or Labels.load()
    ids = release_indicators(release)
    if tables is None:
        tables = {iid: load_table(session, release, iid) for iid in ids}
    return render_workbook(BookFacts.of(wave, release, labels), ids, tables, labels)


def render_workbook(facts: BookFacts, ids: list[str], tables: dict, labels: Labels) -> bytes:
    """The workbook from the release's tables (indicator -> frame): no session, no ORM."""
    counts: dict[str, int] = {}
    for t in tables.values():
        for lv, n in t["org_level"].astype(str).value_counts().items():
            counts[lv] = counts.get(lv, 0) + int(n)
    levels = _levels_that_fit(counts)
    left_out = [LEVEL_LABELS[lv] for lv in LEVEL_ORDER if counts.get(lv) and lv not in levels]

    buf = io.BytesIO()
    # constant_memory: each row goes to a temporary file as soon as the next one starts,
    # so a workbook of 150,000 rows never sits in memory as cell objects. Text stays text:
    # an organisation named "=HYPERLINK(...)" must not become a formula or a link.
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    styles = _Styles(wb)
    families: dict[str, list[str]] = {}
    for iid in ids:
        fam = labels.indicators[iid].family if iid in labels.indicators else "Other"
        families.setdefault(fam, []).append(iid)
    for fam, fam_ids in families.items():
        _family_sheets(wb, styles, fam, fam_ids, tables, levels, labels, facts, left_out)
    _notes_sheet(wb, styles, facts, ids, labels, left_out)
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


def _new_sheet(wb, styles, name, facts: BookFacts, fam, left_out) -> _Sheet:
    sheet = _Sheet(wb, name)
    for i, w in enumerate(WIDTHS):
        sheet.ws.set_column(i, i, w)
    sheet.ws.freeze_panes(4, 0)
    sheet.append([f"{fam} indicators: {facts.wave_name}"], styles.title)
    note = f"Release version {facts.version}, built {facts.built}. * = not shown (see the foot of this sheet and the Notes sheet)."
    if left_out:
        note += f" {', '.join(left_out)} results are in indicators.csv (too many rows for a workbook)."
    sheet.append([note])
    sheet.append()
    sheet.append(HEADERS, styles.head)
    return sheet


def _family_sheets(wb, styles, fam, fam_ids, tables, levels, labels, facts: BookFacts, left_out):
    sheet = _new_sheet(wb, styles, fam, facts, fam, left_out)
    rows_in_sheet, part = 0, 1
    dim_titles = {d: labels.dimension(d) for d in labels.dimensions}
    hidden_words = {st: "Not shown: " + words for st, words in facts.hidden.items()}
    for iid in fam_ids:
        t = tables[iid]
        t = t[t["org_level"].astype(str).isin(levels)]
        rank = t["org_level"].astype(str).map({lv: i for i, lv in enumerate(LEVEL_ORDER)})
        t = t.assign(_r=rank.to_numpy()).sort_values(["_r", "org_code"], kind="stable")
        sheet.append()
        sheet.append([f"{iid}: {labels.indicator(iid)}"], styles.bold)
        # whole columns to plain lists once, not a tuple per row
        level = [LEVEL_LABELS.get(v, v) for v in t["org_level"].astype(str).tolist()]
        code, name = t["org_code"].astype(str).tolist(), t["org_name"].astype(str).tolist()
        dim = [dim_titles.get(v, v) for v in t["dimension"].astype(str).tolist()]
        group, status = t["group"].astype(str).tolist(), t["status"].astype(str).tolist()
        base = t["base"].to_numpy(dtype=float, na_value=0).astype(int).tolist()
        count = t["count"].to_numpy(dtype=float, na_value=0).astype(int).tolist()
        pct, low, high = (t[c].to_numpy(dtype=float).tolist() for c in ("percent", "ci_low", "ci_high"))
        ws = sheet.ws
        for j in range(len(t)):
            if rows_in_sheet >= SHEET_ROWS:
                sheet.append([facts.footnote])
                part += 1
                sheet = _new_sheet(wb, styles, f"{fam} ({part})", facts, fam, left_out)
                ws = sheet.ws
                rows_in_sheet = 0
            r = sheet.row
            sheet.row += 1
            # known types: write_string and write_number skip write()'s guessing of each value
            ws.write_string(r, 0, iid)
            ws.write_string(r, 1, level[j])
            ws.write_string(r, 2, code[j])
            ws.write_string(r, 3, name[j])
            ws.write_string(r, 4, dim[j])
            ws.write_string(r, 5, group[j])
            if status[j] == "ok":
                ws.write_number(r, 6, base[j])
                ws.write_number(r, 7, count[j])
                ws.write_number(r, 8, pct[j], styles.number)
                ws.write_number(r, 9, low[j], styles.number)
                ws.write_number(r, 10, high[j], styles.number)
                ws.write_string(r, 11, "Shown")
            else:
                for c in range(6, 11):
                    ws.write_string(r, c, "*")
                ws.write_string(r, 11, hidden_words.get(status[j], "Not shown"))
            rows_in_sheet += 1
    sheet.append()
    sheet.append([facts.footnote])


def _notes_sheet(wb, styles, facts: BookFacts, ids, labels, left_out):
    sheet = _Sheet(wb, "Notes")
    sheet.ws.set_column(0, 0, 28)
    sheet.ws.set_column(1, 1, 110)
    definition = facts.definition
    sheet.append([f"Notes: {facts.wave_name}"], styles.title)
    sheet.append(["Survey", facts.survey_id])
    sheet.append(["Release", f"version {facts.version}, built {facts.built}"])
    sheet.append(["Suppression rule", facts.rule])
    sheet.append(["* (not shown)", f"{facts.hidden['primary']}; or {facts.hidden['secondary']}."])
    sheet.append(["Percent", "Count divided by base, to 2 decimal places. 95% CI: Wilson score interval."])
    if left_out:
        sheet.append(["Levels not in this workbook", ", ".join(left_out) + ": see indicators.csv."])
    for what in facts.withheld:
        sheet.append(["Not in this release", f"{what}: some of its small numbers could not be protected."])
    sheet.append()
    sheet.append(["Indicator definitions"], styles.bold)
    for iid in ids:
        ind = labels.indicators.get(iid)
        if ind is None:
            continue
        sheet.append([f"{iid} ({ind.family})", ind.title])
        sheet.append(["  counted (numerator)", predicate_words(ind.numerator.to_dict(), definition)])
        sheet.append(["  out of (base)", predicate_words(ind.base.to_dict(), definition)])
        if ind.comparisons:
            sheet.append(["  compares", "; ".join(f"{a} with {b} ({labels.dimension(d)})" for d, a, b in ind.comparisons)])
        if ind.same_as:
            sheet.append(["  same numbers as", f"{ind.same_as}: released with the same suppression"])
        bench = benchmarks_for(iid)
        if len(bench):
            sheet.append(["  national figures", "; ".join(f"{g} {p:.1f}% ({y})" for g, p, y in
                                                           bench[["group", "percent", "year"]].itertuples(index=False))
                          + ". Source: " + str(bench["source"].iloc[0])])
