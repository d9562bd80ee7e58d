"""The files of a release: indicators.csv, response_rates.csv, the charts, the workbook, README.txt.

Everything here reads a frozen release (survey.releases.build); nothing reads responses.
`write_release_files` writes every file the pages offer for download (and the CLI
writes), so the two can never differ.
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from survey import csvsafe
from survey.analysis import load_benchmarks
from survey.models import Wave
from survey.models.releases import Release
from survey.releases.build import WORKERS, load_part, load_table, release_indicators
from survey.releases.words import Labels, chart_choice, rule_words, shipped_labels, suppression_words, withheld_words

CSV_COLUMNS = ["wave", "indicator", "org_level", "org_code", "org_name", "dimension", "group", "base",
               "count", "percent", "ci_low", "ci_high", "status",
               # readable titles for a report, after the columns programs already read by position
               "indicator_title", "dimension_title", "group_label"]
CSV_HEADER = (",".join(CSV_COLUMNS) + "\n").encode()
RATE_CSV_COLUMNS = ["wave", "org_level", "org_code", "org_name", "invited", "answered", "rate", "status"]


def _csv_field(text: str) -> bytes:
    text = csvsafe.cell(text)            # never a formula in the reader's spreadsheet
    if any(ch in text for ch in ',"\r\n'):
        text = '"' + text.replace('"', '""') + '"'
    return text.encode("utf-8")


_HUNDREDTHS = np.array([b"%d.%02d" % divmod(i, 100) for i in range(10_001)], dtype="S6")


def _two_decimals(values: np.ndarray) -> np.ndarray:
    """Each value with 2 decimals, as bytes (b"" for NaN). Percentages (0 to 100, all of
    them in a release) are looked up by their hundredths; anything else is formatted."""
    hide = np.isnan(values)
    hundredths = np.rint(np.where(hide, 0.0, values) * 100)
    if hundredths.min(initial=0) >= 0 and hundredths.max(initial=0) <= 10_000:
        out = _HUNDREDTHS[hundredths.astype(np.int64)]
    else:
        out = np.char.mod("%.2f", hundredths / 100 + 0.0).astype("S")      # (+ 0.0: never "-0.00")
    return np.where(hide, b"", out)


def _whole_numbers(values: np.ndarray) -> np.ndarray:
    """Each value as a whole number in bytes, formatted once per distinct value (numpy's
    own conversion of integers to text is slow over millions of cells)."""
    uniq, inverse = np.unique(values.astype(np.int64), return_inverse=True)
    return np.array([b"%d" % v for v in uniq.tolist()], dtype="S")[inverse]


def _lut_take(keys: pd.DataFrame, text) -> np.ndarray:
    """Rows -> bytes, computing `text(row)` once per distinct combination of `keys`."""
    key = np.zeros(len(keys), dtype=np.int64)
    labels = []
    for c in keys.columns:
        col = keys[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            codes, cats = col.cat.codes.to_numpy().astype(np.int64), list(col.cat.categories)
        else:
            codes, cats = pd.factorize(col.astype(object))
        key = key * (len(cats) + 1) + (codes + 1)
        labels.append((codes, cats))
    uniq, first, inv = np.unique(key, return_index=True, return_inverse=True)
    lut = np.array([text(*[(cats[codes[i]] if codes[i] >= 0 else "") for codes, cats in labels]) for i in first],
                   dtype=object).astype("S")
    return lut[inv]


def _rows_bytes(parts: list, chunk: int = 100_000) -> bytes:
    """Rows made of the parts side by side (byte-string arrays of one length, or bytes
    constants), each ended by a newline. The parts' fixed-width bytes are laid next to
    each other and the padding dropped, a chunk of rows at a time: no per-row objects."""
    n = next(len(q) for q in parts if isinstance(q, np.ndarray))
    out = []
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        k = stop - start
        blocks = []
        for q in parts + [b"\n"]:
            if isinstance(q, bytes):
                blocks.append(np.broadcast_to(np.frombuffer(q, np.uint8), (k, len(q))))
            else:
                q = np.ascontiguousarray(q[start:stop])
                blocks.append(q.view(np.uint8).reshape(k, q.dtype.itemsize))
        laid = np.hstack(blocks)
        out.append(laid[laid != 0].tobytes())
    return b"".join(out)


def _scatter(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    full = np.zeros(len(where), dtype=values.dtype)     # b"" where not given
    full[where] = values
    return full


def table_csv_bytes(table: pd.DataFrame, wave_name: str, labels: "Labels | None" = None) -> bytes:
    if not len(table):
        return b""
    labels = labels or shipped_labels()
    w = _csv_field(wave_name)
    head = _lut_take(table[["indicator"]], lambda i: w + b"," + _csv_field(str(i)) + b",")
    org = _lut_take(table[["org_level", "org_code", "org_name"]],
                    lambda lv, c, n: b",".join(_csv_field(str(x)) for x in (lv, c, n)) + b",")
    dg = _lut_take(table[["dimension", "group"]], lambda d, g: _csv_field(str(d)) + b"," + _csv_field(str(g)) + b",")
    status = _lut_take(table[["status"]], lambda st: _csv_field(str(st)) + b",")
    titles = _lut_take(table[["indicator", "dimension", "group"]], lambda i, d, g: b",".join(
        _csv_field(t) for t in (labels.indicator(str(i)), labels.dimension(str(d)), labels.group(str(d), str(g)))))
    # a suppressed cell leaves base to ci_high empty
    shown = table["status"].astype(str).to_numpy() == "ok"
    sub = table[shown]
    numbers = [_whole_numbers(sub[c].to_numpy(dtype=np.float64)) for c in ("base", "count")]
    numbers += [_two_decimals(sub[c].to_numpy(dtype=np.float64)) for c in ("percent", "ci_low", "ci_high")]
    parts = [head, org, dg]
    for f in numbers:
        parts += [_scatter(f, shown), b","]
    return _rows_bytes(parts + [status, titles])


def iter_indicators_csv(session: Session, wave: Wave, release: Release):
    """indicators.csv in chunks (one per indicator): a national file is hundreds of MB."""
    yield CSV_HEADER
    for iid in release_indicators(release):
        yield table_csv_bytes(load_table(session, release, iid), wave.name)


def rates_table(release: Release) -> pd.DataFrame:
    return load_part(release, "rates")


def rates_csv(wave: Wave, release: Release) -> bytes:
    rates = rates_table(release).copy()
    rates.insert(0, "wave", wave.name)
    rates["rate"] = [("" if pd.isna(v) else f"{v:.1f}") for v in rates["rate"]]
    for col in ("wave", "org_level", "org_code", "org_name", "status"):
        rates[col] = [csvsafe.cell(v) for v in rates[col]]
    return rates[RATE_CSV_COLUMNS].to_csv(index=False, lineterminator="\n").encode("utf-8")


def write_release_files(session: Session, wave: Wave, release: Release, out_dir: Path,
                        step: Callable[[str], None] | None = None) -> list[Path]:
    """Every downloadable file of the release into out_dir; returns the paths written.
    Each table is read once, for the CSV, its chart and (unless one is kept with the
    release already) the workbook: at national scale a reading of them all takes 1.2 s.
    `step(name)` is called as each of the `report_steps(release)` pieces is done (one per
    indicator's CSV rows and chart, then the workbook, then the response rates)."""
    from survey.releases.xlsx import workbook_task

    out_dir.mkdir(parents=True, exist_ok=True)
    labels = Labels.load()
    _remove_earlier_report(out_dir, labels)
    ids = release_indicators(release)
    tables = {iid: load_table(session, release, iid) for iid in ids}
    workbook = workbook_task(session, wave, release, labels, tables)     # a big one in a child process, meanwhile
    try:
        chart_paths = _csv_and_charts(out_dir, wave, release, labels, tables, step or (lambda name: None))
        xlsx = workbook.result()
    except BaseException:
        workbook.cancel()
        raise
    written = [out_dir / "indicators.csv"]
    for name, data in (("indicators.xlsx", xlsx), ("response_rates.csv", rates_csv(wave, release)),
                       ("README.txt", notes_text(wave, release, labels).encode("utf-8"))):
        path = out_dir / name
        path.write_bytes(data)
        written.append(path)
        if step:
            step(name)
    return written + chart_paths


def report_steps(release: Release) -> int:
    """How many times write_release_files calls its `step`."""
    return len(release_indicators(release)) + 2


# What a report writes into its folder (comments.csv: the report command, when asked)
REPORT_FILES = ("indicators.csv", "indicators.xlsx", "response_rates.csv", "comments.csv", "README.txt")


def _remove_earlier_report(out_dir: Path, labels: Labels) -> None:
    """A folder that held an earlier report (of another wave, say) keeps none of its files:
    a chart or a comments.csv left from another wave would be read as this wave's. Only
    the names a report writes are removed, nothing else in the folder."""
    for name in REPORT_FILES:
        (out_dir / name).unlink(missing_ok=True)
    for iid in labels.indicators:
        (out_dir / "charts" / f"{iid}.svg").unlink(missing_ok=True)


def _csv_and_charts(out_dir: Path, wave: Wave, release: Release, labels: Labels, tables: dict,
                    step: Callable[[str], None]) -> list[Path]:
    """indicators.csv and charts/ (returns the charts' paths)."""
    from survey.releases.charts import indicator_chart

    charts = out_dir / "charts"
    charts.mkdir(exist_ok=True)
    chart_paths = []
    # the tables' CSV text on two threads (numpy lets go of the interpreter for most of it:
    # the national release's 5.5 million rows took 3.4 s on one, 2.0 s on two), written in
    # order, at most three tables' text held at once; the charts meanwhile on this one
    with ThreadPoolExecutor(max_workers=WORKERS) as pool, (out_dir / "indicators.csv").open("wb") as fh:
        fh.write(CSV_HEADER)
        pending: deque = deque()
        for iid, table in tables.items():
            pending.append(pool.submit(table_csv_bytes, table, wave.name, labels))
            path = charts / f"{iid}.svg"
            path.write_text(indicator_chart(table, release, labels, iid, "ALL", chart_choice(labels, iid)),
                            encoding="utf-8")
            chart_paths.append(path)
            step(f"charts/{iid}.svg")
            if len(pending) > 2:
                fh.write(pending.popleft().result())
        while pending:
            fh.write(pending.popleft().result())
    return chart_paths


def notes_text(wave: Wave, release: Release, labels: Labels | None = None) -> str:
    """README.txt: what the files are, what each column and status means, and the rule."""
    import json
    labels = labels or shipped_labels()
    built = release.built_at.date() if release.built_at else None
    lines = [
        f"Results of {wave.name} (survey {wave.survey_id}), release version {release.version}"
        + (f", prepared on {built.day} {built:%B %Y}" if built else "") + ".",
        "",
        "FILES",
        "indicators.csv      one row per published cell: an indicator, an organisation, a characteristic, a group.",
        "indicators.xlsx     the same, one sheet per family of indicators, with a filter on each heading;",
        "                    its Notes sheet defines each indicator.",
        "response_rates.csv  staff invited and answers received per organisation.",
        "charts/*.svg        one chart per indicator, by its first characteristic, for the whole wave.",
        "",
        "COLUMNS OF indicators.csv",
        "wave, indicator          the wave's name and the indicator's id (e.g. wres5).",
        "org_level, org_code, org_name   wave (the whole wave), ics, place, pcn or practice.",
        "dimension, group         the characteristic (its id) and the group within it.",
        "base                     how many people the percentage is out of.",
        "count                    how many of them gave the answer counted.",
        "percent, ci_low, ci_high the percentage and its 95% confidence interval (Wilson).",
        "status                   ok, primary or secondary (below).",
        "indicator_title, dimension_title, group_label   the same in words, for a report.",
        "",
        "STATUSES",
        "ok         the numbers are shown.",
        f"primary    not shown: {suppression_words('primary', release)}.",
        f"secondary  not shown: {suppression_words('secondary', release)} (it is based on at least "
        f"{release.min_cell} answers).",
        "A hidden cell leaves base, count, percent and the interval empty in the CSV, and shows * in the workbook.",
        "",
        "THE RULE",
        rule_words(release),
    ]
    withheld = withheld_words(json.loads(release.audit_json or "{}"), labels)
    if withheld:
        lines += ["", "LEFT OUT", "No table could be published safely for: " + "; ".join(withheld) + "."]
    sources = sorted({str(s) for s in load_benchmarks()["source"].dropna()})
    if sources:
        lines += ["", "NATIONAL FIGURES (on the pages, the charts and the workbook's Notes sheet)"] + \
                 [f"Source: {s}" for s in sources] + \
                 ["They come from NHS trusts, not general practice: a reference point, not a target."]
    lines += ["", "Comments are never published by characteristic; they are not in these files."]
    return "\n".join(lines) + "\n"
