"""indicators.xlsx: the release as a workbook for people.

One sheet per indicator family (WRES, WDES, Other) with readable headings, a Notes sheet
with each indicator's definition in words, the suppression rule and the build date.
Hidden cells show `*` and the status column says why in words; a footnote repeats it.
A workbook is for reading: when a release is too big for one (national scale), the
finest organisation levels are left to indicators.csv and the workbook says so.

This module decides what the workbook says (`plan_workbook`) and keeps it with the release;
survey.releases.workbook writes it, in a child process when it is big (`workbook_task`).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from survey.definitions.model import SurveyDefinition
from survey.models import Wave
from survey.models.releases import Release, ReleasePart
from survey.releases.build import load_table, part_bytes, release_indicators
from survey.releases.words import (
    LEVEL_LABELS, LEVEL_ORDER, Labels, benchmarks_for, rule_words, suppression_words, withheld_words,
)
from survey.releases.workbook import Block, BookPlan, Child, FamilySheet, render

log = logging.getLogger(__name__)

MAX_ROWS = 150_000           # cells in the workbook, all sheets together (XlsxWriter writes ~16k rows a second)
# From this many cells in a release (rows of indicators.csv) the report command's other files
# take long enough to be worth writing beside the workbook, which a child process then writes
# (national: 5.5 million cells, 3 s saved; a region's 470,000: none; spawning it costs 0.4 s).
BESIDE_CELLS = 1_000_000



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
    return workbook_task(session, wave, release, labels, tables, beside=False).result()


def workbook_task(session: Session, wave: Wave, release: Release, labels: Labels | None = None,
                  tables: dict | None = None, *, beside: bool = True) -> "PendingWorkbook":
    """Start the release's indicators.xlsx (see stored_workbook). With `beside`, the
    workbook of a release of BESIDE_CELLS cells or more is written by a child process, so
    that the caller can write its other files meanwhile (XlsxWriter holds the interpreter:
    a thread would wait); if the child cannot start or breaks, the workbook is written here."""
    data = part_bytes(release, "xlsx")
    if data is not None:
        return PendingWorkbook(lambda: data)
    labels = labels or Labels.load()
    ids = release_indicators(release)
    if tables is None:
        tables = {iid: load_table(session, release, iid) for iid in ids}
    plan = plan_workbook(BookFacts.of(wave, release, labels), ids, tables, labels)
    here = PendingWorkbook(lambda: _keep(session, release, render(plan)))
    if not beside or sum(len(t) for t in tables.values()) < BESIDE_CELLS:
        return here
    try:
        child = Child(plan)
    except OSError as exc:
        log.warning("indicators.xlsx could not start in a child process (%s): writing it here", exc)
        return here

    def finish() -> bytes:
        data = child.result()
        return _keep(session, release, render(plan) if data is None else data)
    return PendingWorkbook(finish, child)


@dataclass
class PendingWorkbook:
    """indicators.xlsx on its way: `result()` waits for it, keeps it with the release (the
    caller commits) and returns its bytes; `cancel()`, for a caller that fails first, stops
    the child process writing it and removes its files."""
    _finish: Callable[[], bytes]
    _child: Child | None = None

    def result(self) -> bytes:
        return self._finish()

    def cancel(self) -> None:
        if self._child is not None:
            self._child.kill()


def _keep(session: Session, release: Release, data: bytes) -> bytes:
    try:
        with session.begin_nested():
            session.add(ReleasePart(release_id=release.id, kind="xlsx", key="", data=data))
    except IntegrityError:
        pass            # two first downloads at once: the other stored the same workbook
    return data


@dataclass(frozen=True)
class BookFacts:
    """What the workbook says of its wave and release, read from the ORM objects up front
    so that `plan_workbook` needs no session."""
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
    return render(plan_workbook(BookFacts.of(wave, release, labels), ids, tables, labels))


def plan_workbook(facts: BookFacts, ids: list[str], tables: dict, labels: Labels) -> BookPlan:
    """What the workbook says, sheet by sheet, as plain lists (survey.releases.workbook
    writes it)."""
    counts: dict[str, int] = {}
    for t in tables.values():
        for lv, n in t["org_level"].astype(str).value_counts().items():
            counts[lv] = counts.get(lv, 0) + int(n)
    levels = _levels_that_fit(counts)
    left_out = [LEVEL_LABELS[lv] for lv in LEVEL_ORDER if counts.get(lv) and lv not in levels]
    note = (f"Release version {facts.version}, built {facts.built}. "
            "* = not shown (see the foot of this sheet and the Notes sheet).")
    if left_out:
        note += f" {', '.join(left_out)} results are in indicators.csv (too many rows for a workbook)."
    families: dict[str, FamilySheet] = {}
    for iid in ids:
        fam = labels.indicators[iid].family if iid in labels.indicators else "Other"
        if fam not in families:
            families[fam] = FamilySheet(fam, f"{fam} indicators: {facts.wave_name}", note, facts.footnote)
        families[fam].blocks.append(_block(iid, tables[iid], levels, labels, facts))
    plan = BookPlan(list(families.values()), f"Notes: {facts.wave_name}", [])
    _notes(plan, facts, ids, labels, left_out)
    return plan


def _block(iid: str, t, levels: list[str], labels: Labels, facts: BookFacts) -> Block:
    t = t[t["org_level"].astype(str).isin(levels)]
    rank = t["org_level"].astype(str).map({lv: i for i, lv in enumerate(LEVEL_ORDER)})
    t = t.assign(_r=rank.to_numpy()).sort_values(["_r", "org_code"], kind="stable")
    dim_titles = {d: labels.dimension(d) for d in labels.dimensions}
    words = {"ok": "Shown"} | {st: "Not shown: " + w for st, w in facts.hidden.items()}
    status = t["status"].astype(str)
    # whole columns to plain lists once, not a tuple per row
    return Block(
        title=f"{iid}: {labels.indicator(iid)}", indicator=iid,
        level=[LEVEL_LABELS.get(v, v) for v in t["org_level"].astype(str).tolist()],
        code=t["org_code"].astype(str).tolist(), name=t["org_name"].astype(str).tolist(),
        dimension=[dim_titles.get(v, v) for v in t["dimension"].astype(str).tolist()],
        group=t["group"].astype(str).tolist(),
        base=t["base"].to_numpy(dtype=float, na_value=0).astype(int).tolist(),
        count=t["count"].to_numpy(dtype=float, na_value=0).astype(int).tolist(),
        percent=t["percent"].to_numpy(dtype=float).tolist(),
        ci_low=t["ci_low"].to_numpy(dtype=float).tolist(),
        ci_high=t["ci_high"].to_numpy(dtype=float).tolist(),
        shown=(status == "ok").tolist(),
        status=[words.get(v, "Not shown") for v in status.tolist()])


def _notes(plan: BookPlan, facts: BookFacts, ids, labels, left_out) -> None:
    rows = plan.notes
    rows.append(["Survey", facts.survey_id])
    rows.append(["Release", f"version {facts.version}, built {facts.built}"])
    rows.append(["Suppression rule", facts.rule])
    rows.append(["* (not shown)", f"{facts.hidden['primary']}; or {facts.hidden['secondary']}."])
    rows.append(["Percent", "Count divided by base, to 2 decimal places. 95% CI: Wilson score interval."])
    if left_out:
        rows.append(["Levels not in this workbook", ", ".join(left_out) + ": see indicators.csv."])
    for what in facts.withheld:
        rows.append(["Not in this release", f"{what}: some of its small numbers could not be protected."])
    rows.append([])
    plan.bold_notes.add(len(rows))
    rows.append(["Indicator definitions"])
    definition = facts.definition
    for iid in ids:
        ind = labels.indicators.get(iid)
        if ind is None:
            continue
        rows.append([f"{iid} ({ind.family})", ind.title])
        rows.append(["  counted (numerator)", predicate_words(ind.numerator.to_dict(), definition)])
        rows.append(["  out of (base)", predicate_words(ind.base.to_dict(), definition)])
        if ind.comparisons:
            rows.append(["  compares", "; ".join(f"{a} with {b} ({labels.dimension(d)})" for d, a, b in ind.comparisons)])
        if ind.same_as:
            rows.append(["  same numbers as", f"{ind.same_as}: released with the same suppression"])
        bench = benchmarks_for(iid)
        if len(bench):
            rows.append(["  national figures", "; ".join(f"{g} {p:.1f}% ({y})" for g, p, y in
                                                         bench[["group", "percent", "year"]].itertuples(index=False))
                         + ". Source: " + str(bench["source"].iloc[0])])
