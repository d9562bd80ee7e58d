"""indicators.csv rows as a CSV reader reads them back: every field of every row, whatever
the names hold (commas, quotes, non-ASCII) and whatever the numbers are. The writer lays
byte strings side by side (survey.releases.outputs) instead of writing row by row, so
this checks it against Python's own csv module, field by field (text that starts like a
spreadsheet formula reads back with the apostrophe survey.csvsafe puts before it)."""
from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from survey.csvsafe import cell
from survey.releases.outputs import CSV_COLUMNS, CSV_HEADER, table_csv_bytes
from survey.releases.words import Labels

TEXT = st.text(alphabet=st.sampled_from(list('abcXYZ ,"\'ôé-–0')), min_size=1, max_size=12)
PERCENT = st.one_of(st.floats(0, 100, allow_nan=False), st.just(float("nan")), st.floats(-5, 150, allow_nan=False))


@st.composite
def tables(draw):
    n = draw(st.integers(1, 12))
    rows = []
    for _ in range(n):
        status = draw(st.sampled_from(["ok", "ok", "primary", "secondary"]))
        base = draw(st.integers(0, 2_000_000))
        rows.append({"indicator": draw(TEXT), "org_level": draw(st.sampled_from(["practice", "pcn", "wave"])),
                     "org_code": draw(TEXT), "org_name": draw(TEXT), "dimension": draw(TEXT), "group": draw(TEXT),
                     "base": float(base), "count": float(draw(st.integers(0, base))),
                     "percent": draw(PERCENT), "ci_low": draw(PERCENT), "ci_high": draw(PERCENT), "status": status})
    frame = pd.DataFrame(rows)
    for c in ("indicator", "org_level", "dimension", "group", "status"):
        if draw(st.booleans()):
            frame[c] = frame[c].astype("category")
    return frame


def two_decimals(v: float) -> str:
    return "" if np.isnan(v) else f"{np.rint(v * 100) / 100 + 0.0:.2f}"       # rounded half to even, no "-0.00"


@settings(max_examples=200, deadline=None)
@given(tables(), TEXT)
def test_every_field_reads_back_as_written(table, wave):
    text = (CSV_HEADER + table_csv_bytes(table, wave)).decode("utf-8")
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert read[0] == CSV_COLUMNS
    assert len(read) == len(table) + 1
    for got, (_, row) in zip(read[1:], table.iterrows()):
        shown = row["status"] == "ok"
        # text that starts like a formula comes back with its leading apostrophe (survey/csvsafe.py)
        want = [cell(wave), cell(row["indicator"]), row["org_level"], cell(row["org_code"]), cell(row["org_name"]),
                cell(row["dimension"]), cell(row["group"])]
        if shown:
            want += [str(int(row["base"])), str(int(row["count"]))]
            want += [two_decimals(row[c]) for c in ("percent", "ci_low", "ci_high")]
        else:                           # a suppressed cell leaves base to ci_high empty
            want += [""] * 5
        # then the readable titles (the indicator's and characteristic's ids are unknown here, so they stand for themselves)
        titles = [cell(str(row["indicator"])), cell(str(row["dimension"])),
                  cell("All staff" if row["dimension"] == "all" else str(row["group"]))]
        assert got == [*want, row["status"], *titles]


def test_titles_name_the_indicator_characteristic_and_group():
    """Issue 21 item 19: indicators.csv keeps its columns and gains readable titles after them."""
    labels = Labels.load()
    iid = next(iter(labels.indicators))
    table = pd.DataFrame([
        {"indicator": iid, "org_level": "wave", "org_code": "ALL", "org_name": "Whole wave", "dimension": "all",
         "group": "All", "base": 40.0, "count": 10.0, "percent": 25.0, "ci_low": 14.0, "ci_high": 40.0, "status": "ok"},
        {"indicator": iid, "org_level": "wave", "org_code": "ALL", "org_name": "Whole wave", "dimension": "disability",
         "group": "Not stated", "base": 3.0, "count": 1.0, "percent": 33.0, "ci_low": 5.0, "ci_high": 80.0,
         "status": "primary"}])
    read = list(csv.DictReader(io.StringIO((CSV_HEADER + table_csv_bytes(table, "W")).decode())))
    assert CSV_COLUMNS[:13] == ["wave", "indicator", "org_level", "org_code", "org_name", "dimension", "group", "base",
                                "count", "percent", "ci_low", "ci_high", "status"]
    assert [r["indicator_title"] for r in read] == [labels.indicator(iid)] * 2 != [iid] * 2
    assert [r["dimension_title"] for r in read] == ["All staff", "Disability"]
    assert [r["group_label"] for r in read] == ["All staff", "Not stated (no answer, or prefer not to say)"]
