"""The EDI lead's pages and downloads over one frozen release (built once for the module).

Also: access by role, an open wave shows no numbers, every view and download is audited,
comments never appear beside a characteristic, the report command. Runs on PostgreSQL
when SURVEY_TEST_DATABASE_URL is set.
"""
from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import select

from survey.models import AuditEvent, Comment
from survey.models.releases import Release
from survey.releases.build import build_wave_release, params_from_config
from survey.releases.outputs import CSV_COLUMNS
from tests.conftest import app_with_schema, base_test_config, post_form
from tests.releases_helpers import (TODAY, add_random_responses, make_orgs, make_staff_user, make_wave,
                                    sign_in_client)

SECRET_COMMENT = "The rota is unfair to night staff"


@pytest.fixture(scope="module")
def world(tmp_path_factory, database_url):
    tmp = tmp_path_factory.mktemp("reports")
    cfg = base_test_config(tmp, database_url, RATELIMIT_STAFF_LOGIN="1000/minute")
    with app_with_schema(cfg) as app:
        db = app.extensions["survey.sessionmaker"]()
        orgs = make_orgs(db, {"ICSX": {"PCNA": ["A1", "A2", "A3"], "PCNB": ["B1", "B2"]}})
        practices = [orgs[c] for c in ("A1", "A2", "A3", "B1", "B2")]
        closed = make_wave(db, "Closed 2024", orgs.values(), invited={"A1": 40, "A2": 30, "A3": 9, "B1": 50, "B2": 25})
        add_random_responses(db, closed, practices, [30, 22, 6, 45, 14], seed=7)
        from survey.extensions import keyring
        db.add(Comment(wave_id=closed.id, org_id=orgs["B1"].id, question_id="comments",
                       body=keyring().encrypt(SECRET_COMMENT)))
        db.add(Comment(wave_id=closed.id, org_id=orgs["A3"].id, question_id="comments",
                       body=keyring().encrypt("Only six of us answered here")))
        opened = make_wave(db, "Open 2025", orgs.values(), closed=False)
        add_random_responses(db, opened, practices[:2], [15, 12], seed=8)
        db.commit()
        built = build_wave_release(db, closed, params_from_config(app.config), today=TODAY)
        db.commit()
        edi = make_staff_user(db, "edi_lead")
        guardian = make_staff_user(db, "guardian")
        yield {"app": app, "db": db, "closed": closed, "open": opened, "release": built.release,
               "edi": edi, "guardian": guardian, "orgs": orgs}
        db.close()


@pytest.fixture(scope="module")
def edi_client(world):
    client = world["app"].test_client()
    sign_in_client(client, world["db"], world["edi"])
    return client


def _pages(world):
    w, o = world["closed"].id, world["open"].id
    return ["/reports/", f"/reports/waves/{w}", f"/reports/waves/{w}/indicator", f"/reports/waves/{w}/trend",
            f"/reports/waves/{w}/response-rates", f"/reports/waves/{w}/comments", "/reports/benchmarks",
            f"/reports/waves/{w}/download/indicators.csv", f"/reports/waves/{w}/download/indicators.xlsx",
            f"/reports/waves/{w}/download/response_rates.csv", f"/reports/waves/{w}/chart.svg", f"/reports/waves/{o}"]


def test_edi_lead_reaches_every_page(world, edi_client):
    for url in _pages(world):
        assert edi_client.get(url).status_code == 200, url


def test_guardian_is_refused_and_anonymous_is_sent_to_sign_in(world):
    client = world["app"].test_client()
    for url in _pages(world):
        resp = client.get(url)
        assert resp.status_code == 302 and "/auth/sign-in" in resp.headers["Location"], url
    client = world["app"].test_client()
    sign_in_client(client, world["db"], world["guardian"])
    for url in _pages(world):
        assert client.get(url).status_code == 403, url


def test_open_wave_shows_no_numbers(world, edi_client):
    o = world["open"].id
    page = edi_client.get(f"/reports/waves/{o}").get_data(as_text=True)
    assert "Results appear after it closes" in page or "results appear after it closes" in page.lower()
    assert "Prepare the results" not in page
    for url in [f"/reports/waves/{o}/indicator", f"/reports/waves/{o}/response-rates", f"/reports/waves/{o}/trend",
                f"/reports/waves/{o}/comments", f"/reports/waves/{o}/download/indicators.csv",
                f"/reports/waves/{o}/chart.svg"]:
        resp = edi_client.get(url)
        assert resp.status_code == 409, url
        assert "live counts would show who has just answered" in resp.get_data(as_text=True)
    listing = edi_client.get("/reports/").get_data(as_text=True)
    assert "Open: results appear after it closes" in listing


def test_open_wave_cannot_be_prepared(world, edi_client):
    o = world["open"].id
    resp = post_form(edi_client, f"/reports/waves/{o}/prepare", {}, get_url=f"/reports/waves/{world['closed'].id}")
    assert resp.status_code == 409
    assert world["db"].scalar(select(Release).where(Release.wave_id == o)) is None


def test_prepare_form_queues_a_new_version_and_keeps_the_frozen_release(world, edi_client):
    from survey.models.jobs import ReleaseBuild
    w = world["closed"].id
    resp = post_form(edi_client, f"/reports/waves/{w}/prepare", {}, get_url=f"/reports/waves/{world['open'].id}")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/reports/waves/{w}")
    db = world["db"]
    db.rollback()
    assert [r.version for r in db.scalars(select(Release).where(Release.wave_id == w))] == [1]   # built by a worker
    row = db.get(ReleaseBuild, w)
    assert row.state == "queued" and row.rebuild is True
    db.delete(row)                     # the later tests read the page without a build in progress
    db.commit()
    assert edi_client.post(f"/reports/waves/{w}/prepare", data={}).status_code == 400   # no CSRF token


def test_indicator_page_table_chart_gap_and_explanations(world, edi_client):
    w = world["closed"].id
    page = edi_client.get(f"/reports/waves/{w}/indicator?indicator=wres5&org=PCNA&dimension=ethnicity_group")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'class="app-table-wrap"' in html and "<svg" in html and "<title" in html and "<desc" in html
    assert "95% interval" in html and "National figures" in html
    assert "fewer than 11 answers" in html or "hidden so that another number cannot be worked out" in html
    assert '<select class="nhsuk-select app-select-wide" id="pick-org" name="org">' in html
    assert edi_client.get(f"/reports/waves/{w}/indicator?indicator=nope").status_code == 400
    assert edi_client.get(f"/reports/waves/{w}/indicator?org=ZZZ").status_code == 400


def test_small_practice_says_it_has_no_result_of_its_own(world, edi_client):
    w = world["closed"].id
    html = edi_client.get(f"/reports/waves/{w}/indicator?indicator=wres5&org=A3&dimension=all").get_data(as_text=True)
    assert "has no result of its own" in html


def test_csv_columns_exact_and_suppressed_cells_empty(world, edi_client):
    w = world["closed"].id
    text = edi_client.get(f"/reports/waves/{w}/download/indicators.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == CSV_COLUMNS == ["wave", "indicator", "org_level", "org_code", "org_name", "dimension", "group",
                                      "base", "count", "percent", "ci_low", "ci_high", "status",
                                      "indicator_title", "dimension_title", "group_label"]
    body = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert {r["org_level"] for r in body} == {"practice", "pcn", "place", "ics", "wave"}
    assert any(r["org_code"] == "ALL" for r in body)
    hidden = [r for r in body if r["status"] != "ok"]
    assert hidden and all(r["base"] == r["count"] == r["percent"] == r["ci_low"] == r["ci_high"] == "" for r in hidden)
    shown = [r for r in body if r["status"] == "ok"]
    assert all(len(r["percent"].split(".")[1]) == 2 for r in shown)
    assert all(int(r["base"]) >= 11 for r in shown)


def test_downloads_give_back_their_connections(world, edi_client):
    """A streamed download reads on a session of its own and closes it when the stream ends
    or the client goes away: no connection is left checked out (on PostgreSQL one would
    hold its locks, and DROP or ALTER TABLE would wait for it). The collector is off, so
    nothing is closed by accident."""
    import gc
    pool = world["app"].extensions["survey.engine"].pool
    w = world["closed"].id
    world["db"].rollback()              # the fixture's own session gives its connection back
    gc.collect()
    gc.disable()
    try:
        assert pool.checkedout() == 0
        for name in ("indicators.csv", "indicators.xlsx", "response_rates.csv"):
            assert edi_client.get(f"/reports/waves/{w}/download/{name}").status_code == 200
            assert pool.checkedout() == 0, name
        half = edi_client.get(f"/reports/waves/{w}/download/indicators.csv", buffered=False)
        assert next(iter(half.response)).startswith(b"wave,indicator")
        half.close()                     # the client went away after the first chunk
        assert pool.checkedout() == 0
    finally:
        gc.enable()


def test_xlsx_opens_and_shows_stars(world, edi_client):
    w = world["closed"].id
    data = edi_client.get(f"/reports/waves/{w}/download/indicators.xlsx").get_data()
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert {"WRES", "WDES", "Notes"} <= set(wb.sheetnames)
    values = [v for row in wb["WRES"].iter_rows(values_only=True) for v in row if v is not None]
    assert "*" in values
    assert any(isinstance(v, str) and v.startswith("* Not shown") for v in values)
    notes = " ".join(str(v) for row in wb["Notes"].iter_rows(values_only=True) for v in row if v)
    assert "fewer than 11 answers" in notes and "wres5" in notes and "built" in notes


def test_the_workbook_is_written_once_per_release(world, edi_client, monkeypatch):
    """Writing a regional workbook takes tens of seconds: the first download keeps it with
    the frozen release and later ones (and the report command) send the same bytes."""
    import survey.releases.xlsx as xlsx
    w = world["closed"].id
    first = edi_client.get(f"/reports/waves/{w}/download/indicators.xlsx").get_data()
    calls = []
    monkeypatch.setattr(xlsx, "render", lambda *a, **k: calls.append(a) or b"rewritten")
    again = edi_client.get(f"/reports/waves/{w}/download/indicators.xlsx")
    assert again.status_code == 200 and again.get_data() == first and not calls
    assert openpyxl.load_workbook(io.BytesIO(first), read_only=True).sheetnames


def test_response_rates_csv(world, edi_client):
    w = world["closed"].id
    rows = list(csv.DictReader(io.StringIO(edi_client.get(f"/reports/waves/{w}/download/response_rates.csv")
                                           .get_data(as_text=True))))
    by = {r["org_code"]: r for r in rows}
    assert by["A3"]["answered"] == "" and by["A3"]["status"] == "primary" and by["A3"]["invited"] == "9"
    assert by["ALL"]["answered"] == "117" and by["ALL"]["invited"] == "154"


def test_every_view_and_download_is_audited(world, edi_client):
    db = world["db"]
    db.rollback()
    before = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
    db.rollback()
    w = world["closed"].id
    edi_client.get(f"/reports/waves/{w}/indicator?indicator=wres6")
    edi_client.get(f"/reports/waves/{w}/download/indicators.csv")
    db.rollback()
    events = db.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
    assert [e.action for e in events] == ["report.view", "report.download"]
    assert all(e.actor_id == world["edi"].id and e.object_id == str(w) for e in events)


def test_comments_never_beside_a_characteristic(world, edi_client):
    w = world["closed"].id
    page = edi_client.get(f"/reports/waves/{w}/comments?org=ALL").get_data(as_text=True)
    assert SECRET_COMMENT in page
    assert 'name="dimension"' not in page and "Ethnicity" not in page and "Disab" not in page
    # A practice with six answers: its comments are not shown on their own.
    assert edi_client.get(f"/reports/waves/{w}/comments?org=A3").status_code == 400
    # ...and no comment reaches an indicator page or a download.
    for url in [f"/reports/waves/{w}/indicator?indicator=wres5&org=B1&dimension=ethnicity_group",
                f"/reports/waves/{w}/download/indicators.csv", f"/reports/waves/{w}/download/response_rates.csv"]:
        assert SECRET_COMMENT not in edi_client.get(url).get_data(as_text=True)


def test_release_is_frozen(world):
    db, wave = world["db"], world["closed"]
    again = build_wave_release(db, wave, params_from_config(world["app"].config), today=TODAY)
    assert not again.created and again.release.id == world["release"].id


def test_trend_reads_frozen_releases(world, edi_client):
    w = world["closed"].id
    html = edi_client.get(f"/reports/waves/{w}/trend?indicator=wres8&pair=ethnicity").get_data(as_text=True)
    assert "Closed 2024" in html and "BME" in html and "White" in html and "Gap" in html
    assert "Open 2025" not in html


def test_report_command(world, tmp_path):
    runner = world["app"].test_cli_runner()
    res = runner.invoke(args=["report", "--wave", "Closed 2024", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "Using release version 1" in res.output
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"indicators.csv", "indicators.xlsx", "response_rates.csv", "charts"} <= names
    svg = (tmp_path / "out" / "charts" / "wres5.svg").read_text()
    assert "<title" in svg and "<desc" in svg
    res = runner.invoke(args=["report", "--wave", "Open 2025", "--out", str(tmp_path / "x")])
    assert res.exit_code == 1 and "still open" in res.output and "Traceback" not in res.output
    res = runner.invoke(args=["report", "--wave", "Nope", "--out", str(tmp_path / "x")])
    assert res.exit_code == 1 and "No wave is called" in res.output


def _xlsx_numbers(data: bytes) -> dict:
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    out = {}
    for name in wb.sheetnames:
        if name == "Notes":
            continue
        for row in wb[name].iter_rows(values_only=True):
            if len(row) >= 12 and row[0] and row[6] is not None and row[1] != "Level":
                out[(row[0], row[2], row[4], row[5])] = tuple(row[6:11])
    return out


@pytest.mark.slow
def test_attacker_recovers_no_suppressed_count(world, edi_client, tmp_path):
    """Everything a user can download for the wave, as equations; LP pins nothing suppressed."""
    import re
    from survey.analysis import canonical_indicator, load_dimensions, load_indicators
    from survey.models import Organisation
    from tests.support.equations import attack

    w = world["closed"].id
    cells = list(csv.DictReader(io.StringIO(edi_client.get(f"/reports/waves/{w}/download/indicators.csv")
                                            .get_data(as_text=True))))
    rates = list(csv.DictReader(io.StringIO(edi_client.get(f"/reports/waves/{w}/download/response_rates.csv")
                                            .get_data(as_text=True))))
    # The workbook and the charts publish nothing the CSV does not.
    dims = load_dimensions()
    title_of = {d.title: k for k, d in dims.items()}
    published = {(r["indicator"], r["org_code"], r["dimension"], r["group"]): r for r in cells}
    for (iid, org, dim_title, group), vals in _xlsx_numbers(
            edi_client.get(f"/reports/waves/{w}/download/indicators.xlsx").get_data()).items():
        r = published[(iid, org, title_of[dim_title], group)]
        if r["status"] == "ok":
            assert (int(vals[0]), int(vals[1]), round(float(vals[2]), 2)) == (int(r["base"]), int(r["count"]), float(r["percent"]))
        else:
            assert vals == ("*",) * 5
    runner = world["app"].test_cli_runner()
    assert runner.invoke(args=["report", "--wave", "Closed 2024", "--out", str(tmp_path)]).exit_code == 0
    svgs = [p.read_text() for p in (tmp_path / "charts").glob("*.svg")]
    svgs.append(edi_client.get(f"/reports/waves/{w}/chart.svg?indicator=wres5&org=PCNA&dimension=ethnicity_group")
                .get_data(as_text=True))
    shown = {(r["percent"], r["count"], r["base"]) for r in cells if r["status"] == "ok"}
    for svg in svgs:
        for pct, count, base in re.findall(r"(\d+\.\d\d)% \((\d+) of (\d+)\)", svg):
            assert (pct, count, base) in shown
    # The equations.
    parent = {o.code: (o.parent.code if o.parent else None) for o in world["db"].scalars(select(Organisation))
              if o.code in {r["org_code"] for r in cells}}
    canon = canonical_indicator(load_indicators(dimensions=dims))
    assert any(r["status"] != "ok" for r in cells)
    empty = empty_groups(world)
    known = known_empty(dims, canon)
    assert known, "WDES 8 asks Disabled staff only: its other disability groups are known to be empty"
    pinned = _beyond_inherent(attack(cells, rates, parent, canon, min_cell=11, empty_groups=empty,
                                     known_empty=known), cells, rates, parent, canon, empty, known)
    assert not pinned, "\n".join(pinned[:20])
    world["attacker_input"] = (cells, rates, parent, canon, empty, known)


def known_empty(dims, canon) -> set:
    """(canonical indicator, dimension, group) nobody can be in by the published definitions
    (read from the definitions, as any reader of the Notes sheet can)."""
    from survey.analysis import load_indicators
    from survey.analysis.indicators import empty_by_definition
    inds = load_indicators(dimensions=dims)
    return {(canon[i], d, g) for i, ind in inds.items() for d, dim in dims.items()
            for g in empty_by_definition(ind, dim)}


def empty_groups(world) -> set:
    """(canonical indicator, dimension, group) with nobody in them in the whole wave, from the
    true counts: the release has nothing to protect there (see survey.disclosure.certify)."""
    from survey.analysis import canonical_indicator, finest_cells, load_dimensions, load_indicators
    from survey.releases.aggregate import profile_counts
    from survey.releases.build import asked_questions
    dims = load_dimensions()
    inds = load_indicators(dimensions=dims)
    wave = world["closed"]
    cells = finest_cells(profile_counts(world["db"], wave.id, inds, dims, asked_questions(wave)), inds, dims)
    canon = canonical_indicator(inds)
    totals = cells.groupby(["indicator", "dimension", "group"], observed=True)["base"].sum()
    return {(canon[str(i)], str(d), str(g)) for (i, d, g), b in totals.items() if b == 0}


@pytest.mark.slow
def test_attacker_reading_statuses_recovers_nothing(world):
    """The status words are published too: 'primary' says a base is under N, 'secondary' that
    it is at least N. With those bounds as well, nothing is pinned."""
    from tests.support.equations import attack
    if "attacker_input" not in world:
        pytest.skip("runs after test_attacker_recovers_no_suppressed_count")
    cells, rates, parent, canon, empty, known = world["attacker_input"]
    pinned = _beyond_inherent(attack(cells, rates, parent, canon, min_cell=11, use_status=True, empty_groups=empty,
                                     known_empty=known), cells, rates, parent, canon, empty, known)
    assert not pinned, "\n".join(pinned[:20])


def _beyond_inherent(pinned, cells, rates, parent, canon, empty, known) -> list[str]:
    """What the attacker pinned, less what the published totals and the size classes pin
    whatever the engine suppressed (tests.support.equations.attack with inherent=True)."""
    from tests.support.equations import attack, cell_of
    if not pinned:
        return pinned
    inherent = {cell_of(d) for d in attack(cells, rates, parent, canon, min_cell=11, empty_groups=empty,
                                            known_empty=known, inherent=True, only={cell_of(d) for d in pinned})}
    return [d for d in pinned if cell_of(d) not in inherent]


def test_rebuild_after_late_responses_is_monotone(world, edi_client):
    """Late responses make the small practice big enough; nothing once hidden is published."""
    from survey.releases.build import load_part
    db, wave, orgs = world["db"], world["closed"], world["orgs"]
    db.rollback()     # end any read snapshot: SQLite refuses to upgrade a stale one to a write
    first = world["release"]
    before = load_part(first, "pattern")
    rates_before = load_part(first, "rates")
    add_random_responses(db, wave, [orgs["A3"]], [8], seed=99)
    db.commit()
    built = build_wave_release(db, wave, params_from_config(world["app"].config), today=TODAY, rebuild=True)
    db.commit()
    assert built.created and built.release.version == 2
    after = load_part(built.release, "pattern")
    key = ["indicator", "org_code", "dimension", "group"]
    was = set(map(tuple, before[key].astype(str).to_numpy()))
    now = set(map(tuple, after[key].astype(str).to_numpy()))
    assert was <= now
    rates_after = load_part(built.release, "rates").set_index("org_code")
    assert rates_after.loc["A3", "status"] != "ok"   # 14 answers now, still hidden
    hidden_before = set(rates_before.loc[rates_before["status"] != "ok", "org_code"])
    assert hidden_before <= set(rates_after.index[rates_after["status"] != "ok"])
    page = edi_client.get(f"/reports/waves/{wave.id}").get_data(as_text=True)
    assert "Version 2" in page


@pytest.mark.slow
def test_attacker_knowing_the_tables_nest_recovers_nothing(world, edi_client):
    """The downloaded indicators.csv against tests.support's attacker, which reads the YAML
    apart from the engine: White and Not stated are one number in both ethnicity tables and
    BME is the sum of the four broad groups. Nothing hidden in them is pinned beyond what
    the published totals and the size classes pin whatever is suppressed (issue 18)."""
    import pandas as pd
    from tests.support import definitions
    from tests.support.attacker import Attack
    from survey.models import Organisation

    w = world["closed"].id
    table = pd.read_csv(io.StringIO(edi_client.get(f"/reports/waves/{w}/download/indicators.csv")
                                    .get_data(as_text=True)), dtype={"org_code": str})
    shown = set(table["org_code"])
    parent = {o.code: (o.parent.code if o.parent and o.parent.code in shown else "ALL")
              for o in world["db"].query(Organisation) if o.code in shown}
    parent["ALL"] = None
    empty = empty_groups(world)
    defs = definitions.shipped()
    eth = table[table["dimension"].isin(["all", "ethnicity_group", "ethnicity_broad"])]
    checked = 0
    for ind, mine in eth.groupby("indicator"):
        if not (mine["status"] != "ok").any():
            continue
        real = Attack(defs, mine, None, parent, 11, relations=False, columns={"ethnicity"})
        need = pd.Series(1.0, index=real.hidden.index)
        got = real.ranges(need, batches=20)
        short = got[(got["hi"] - got["lo"]) < 1 - 1e-6]
        short = short[[(defs.canon[r.indicator], r.dimension, r.group) not in empty for r in short.itertuples()]]
        if len(short):
            seen = Attack(defs, mine, None, parent, 11, relations=False, columns={"ethnicity"}, inherent=True)
            wide = seen.ranges(need.loc[short.index], rows=short.index)
            short = short[(short["hi"] - short["lo"]).to_numpy() < (wide["hi"] - wide["lo"]).to_numpy() - 1e-6]
        assert short.empty, short.to_string()
        checked += len(got)
    assert checked > 0


def test_attacker_knowing_the_same_people_answer_every_question_recovers_nothing(world, edi_client):
    """Both downloaded CSVs at once, every indicator by ethnicity and disability, against the
    attacker that also knows each indicator's base in a group is at most the group's
    respondents, whose total is the published number of answers, and the relations between
    indicators (WRES 6 within WDES 4(ii) or 4(iii)). Nothing hidden is pinned beyond what
    that attacker pins whatever is suppressed (issue 18)."""
    import pandas as pd
    from tests.support import definitions
    from tests.support.attacker import Attack
    from survey.models import Organisation

    w = world["closed"].id

    def csv_of(name):
        text = edi_client.get(f"/reports/waves/{w}/download/{name}").get_data(as_text=True)
        return pd.read_csv(io.StringIO(text), dtype={"org_code": str})

    table, rates = csv_of("indicators.csv"), csv_of("response_rates.csv")
    # the comparisons' characteristics (every characteristic at once is too big an LP for a test)
    table = table[table["dimension"].isin(["all", "ethnicity_group", "ethnicity_broad", "disability"])]
    shown = set(table["org_code"])
    parent = {o.code: (o.parent.code if o.parent and o.parent.code in shown else "ALL")
              for o in world["db"].query(Organisation) if o.code in shown}
    parent["ALL"] = None
    rates = rates[rates["org_code"].isin(parent)].astype({"status": str})      # the wave is "ALL"
    assert (rates["status"] == "ok").any()
    empty = empty_groups(world)
    defs = definitions.shipped()
    real = Attack(defs, table, rates, parent, 11, relations=True, columns={"ethnicity", "disability"})
    got, short = real.pinned(pd.Series(1.0, index=real.hidden.index), batches=20)
    short = short[[(defs.canon[r.indicator], r.dimension, r.group) not in empty for r in short.itertuples()]]
    assert len(got) > 100 and short.empty, short.to_string()


def test_downloads_are_ready_for_a_report(world, edi_client, tmp_path):
    """Issue 21 item 19: readable titles in indicators.csv, a README.txt that explains the
    statuses and the rule, and a filter on each heading of the workbook."""
    w = world["closed"].id
    rows = list(csv.DictReader(io.StringIO(edi_client.get(f"/reports/waves/{w}/download/indicators.csv")
                                           .get_data(as_text=True))))
    wres5 = [r for r in rows if r["indicator"] == "wres5"]
    from survey.releases.words import Labels
    assert wres5 and {r["indicator_title"] for r in wres5} == {Labels.load().indicator("wres5")} != {"wres5"}
    assert {r["dimension_title"] for r in wres5 if r["dimension"] == "disability"} == {"Disability"}
    assert {r["group_label"] for r in wres5 if r["dimension"] == "all"} == {"All staff"}

    resp = edi_client.get(f"/reports/waves/{w}/download/README.txt")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    notes = resp.get_data(as_text=True)
    for words in ("Closed 2024", "primary    not shown: fewer than 11 answers",
                  "secondary  not shown: hidden so that another number cannot be worked out", "THE RULE",
                  "indicator_title, dimension_title, group_label", "Source: NHS Staff Survey"):
        assert words in notes, words
    assert SECRET_COMMENT not in notes
    assert f"/reports/waves/{w}/download/README.txt" in edi_client.get(f"/reports/waves/{w}").get_data(as_text=True)

    wb = openpyxl.load_workbook(io.BytesIO(edi_client.get(f"/reports/waves/{w}/download/indicators.xlsx").get_data()))
    data_sheets = [ws for ws in wb.worksheets if ws.title != "Notes"]
    assert data_sheets
    for ws in data_sheets:
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A4:L"), (ws.title, ws.auto_filter.ref)
        assert ws["A4"].value == "Indicator"

    runner = world["app"].test_cli_runner()
    res = runner.invoke(args=["report", "--wave", "Closed 2024", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "README.txt").read_text() == notes
