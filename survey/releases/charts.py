"""One SVG chart per indicator: the groups of a characteristic, each percent with its
Wilson 95% interval, and the national figure where there is one.

Accessible by construction: role="img" with <title> and <desc> (the desc states every
number in words), every value also printed as text beside its bar, hidden groups said
in words, no colour carrying meaning alone. Every number comes from the frozen release
(or the shipped national benchmark file), never from responses.
"""
from __future__ import annotations

import math
from xml.sax.saxutils import escape

import pandas as pd

from survey.models.releases import Release
from survey.releases.words import Labels, benchmarks_for, suppression_words

WIDTH = 640
LEFT = 170          # group labels
RIGHT = 150         # value labels
ROW = 46
TOP = 64
BAR = 18
BLUE, DARK, GREY, RED = "#005eb8", "#212b32", "#4c6272", "#d5281b"


def chart_rows(table: pd.DataFrame, iid: str, org_code: str, dimension: str, labels: Labels) -> pd.DataFrame:
    """The release rows an indicator chart (or table) shows, in the characteristic's group order."""
    sel = table[(table["indicator"].astype(str) == iid) & (table["org_code"].astype(str) == org_code)
                & (table["dimension"].astype(str) == dimension)].copy()
    dim = labels.dimensions.get(dimension)
    if dim is not None:
        order = {g: i for i, g in enumerate(dim.groups)}
        sel["_o"] = sel["group"].astype(str).map(order).fillna(len(order))
        sel = sel.sort_values("_o").drop(columns="_o")
    return sel.reset_index(drop=True)


def _fmt(v) -> str:
    return f"{float(v):.2f}"


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def indicator_chart(table: pd.DataFrame, release: Release, labels: Labels, iid: str, org_code: str,
                    dimension: str) -> str:
    rows = chart_rows(table, iid, org_code, dimension, labels)
    bench = benchmarks_for(iid)
    bench_by_group = {str(g): (float(p), int(y), str(s)) for g, p, y, s in
                      bench[["group", "percent", "year", "source"]].itertuples(index=False)}
    org_name = str(rows["org_name"].iloc[0]) if len(rows) else org_code
    dim_title = labels.dimension(dimension)
    title = f"{labels.indicator(iid)}: {org_name}, by {dim_title}"
    top = max([float(v) for v in rows["ci_high"].dropna()] +
              [bench_by_group[str(g)][0] for g in rows["group"] if str(g) in bench_by_group] + [10.0])
    scale_max = min(100.0, math.ceil(top * 1.1 / 10.0) * 10.0)
    plot_w = WIDTH - LEFT - RIGHT
    has_bench = any(str(g) in bench_by_group for g in rows["group"])
    title_lines = _wrap(labels.indicator(iid), 70)
    top_y = TOP + 18 * (len(title_lines) - 1)
    source_lines = _wrap("National figure (red marker): " + next(iter(bench_by_group.values()))[2], 95) if has_bench else []
    n_rows = max(1, len(rows))
    height = top_y + ROW * n_rows + 50 + 15 * len(source_lines)

    def x(p: float) -> float:
        return LEFT + plot_w * max(0.0, min(p, scale_max)) / scale_max

    desc_parts, body = [], []
    step = 10 if scale_max <= 50 else 20
    for t in range(0, int(scale_max) + 1, step):
        body.append(f'<line x1="{x(t):.1f}" y1="{top_y - 8}" x2="{x(t):.1f}" y2="{top_y + ROW * len(rows)}" stroke="#d8dde0" stroke-width="1"/>')
        body.append(f'<text x="{x(t):.1f}" y="{top_y + ROW * len(rows) + 18}" text-anchor="middle" font-size="12" fill="{GREY}">{t}%</text>')
    for i, r in enumerate(rows.itertuples(index=False)):
        y0 = top_y + ROW * i
        group = str(r.group)
        cy = y0 + BAR / 2
        body.append(f'<text x="{LEFT - 10}" y="{y0 + BAR - 4}" text-anchor="end" font-size="14" fill="{DARK}">{escape(group)}</text>')
        status = str(r.status)
        second = []
        if status != "ok":
            words = suppression_words(status, release)
            body.append(f'<text x="{LEFT + 4}" y="{y0 + BAR - 4}" font-size="13" fill="{GREY}">*</text>')
            second.append(f"* Not shown: {words}")
            desc_parts.append(f"{group}: not shown ({words}).")
        else:
            pct, lo, hi, base, count = float(r.percent), float(r.ci_low), float(r.ci_high), int(r.base), int(r.count)
            body.append(f'<rect x="{LEFT}" y="{y0}" width="{max(0.0, x(pct) - LEFT):.1f}" height="{BAR}" fill="{BLUE}"/>')
            body.append(f'<line x1="{x(lo):.1f}" y1="{cy}" x2="{x(hi):.1f}" y2="{cy}" stroke="{DARK}" stroke-width="2"/>')
            for edge in (lo, hi):
                body.append(f'<line x1="{x(edge):.1f}" y1="{cy - 6}" x2="{x(edge):.1f}" y2="{cy + 6}" stroke="{DARK}" stroke-width="2"/>')
            body.append(f'<text x="{WIDTH - RIGHT + 8}" y="{y0 + BAR - 4}" font-size="13" fill="{DARK}">{_fmt(pct)}% ({count} of {base})</text>')
            second.append(f"95% interval {_fmt(lo)}% to {_fmt(hi)}%")
            desc_parts.append(f"{group}: {_fmt(pct)}% ({count} of {base}), 95% interval {_fmt(lo)}% to {_fmt(hi)}%.")
        if group in bench_by_group:
            bp, year, _ = bench_by_group[group]
            bx = x(bp)
            body.append(f'<path d="M{bx:.1f} {y0 - 1} l5 -7 h-10 z" fill="{RED}"/>')
            body.append(f'<line x1="{bx:.1f}" y1="{y0 - 1}" x2="{bx:.1f}" y2="{y0 + BAR + 2}" stroke="{RED}" stroke-width="2" stroke-dasharray="4 2"/>')
            second.append(f"national {year}: {bp:.1f}%")
            desc_parts.append(f"National {year} figure for {group}: {bp:.1f}%.")
        body.append(f'<text x="{LEFT}" y="{y0 + BAR + 15}" font-size="11" fill="{GREY}">{escape("; ".join(second))}</text>')
    if not len(rows):
        body.append(f'<text x="{LEFT}" y="{top_y + 14}" font-size="14" fill="{DARK}">No results for this organisation and characteristic.</text>')
        desc_parts.append("No results for this organisation and characteristic.")
    foot_y = top_y + ROW * n_rows + 38
    body.append(f'<text x="10" y="{foot_y}" font-size="11" fill="{GREY}">Bars: percent. Black lines: 95% Wilson interval. '
                f'Release version {release.version}.</text>')
    for k, line in enumerate(source_lines):
        body.append(f'<text x="10" y="{foot_y + 15 * (k + 1)}" font-size="11" fill="{GREY}">{escape(line)}</text>')
    heading = "".join(f'<text x="10" y="{24 + 18 * k}" font-size="16" font-weight="bold" fill="{DARK}">{escape(line)}</text>'
                      for k, line in enumerate(title_lines))
    desc = " ".join(desc_parts)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
            f'role="img" aria-labelledby="chart-title chart-desc" font-family="Arial, Helvetica, sans-serif">'
            f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(desc)}</desc>'
            f'<rect width="100%" height="100%" fill="#ffffff"/>{heading}'
            f'<text x="10" y="{top_y - 20}" font-size="13" fill="{DARK}">{escape(org_name)}, by {escape(dim_title)}</text>')
    return head + "".join(body) + "</svg>\n"
