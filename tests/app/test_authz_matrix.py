"""The authorization matrix: every route of the URL map x every kind of visitor.

EXPECTED below is the table: route rule -> "public" or the roles that may use it. A route
that is not in the table fails the test, so a new page cannot ship without a decision
about who may see it. For each (rule, method, visitor) the answer must be:

- public route: reachable by everyone (no 401/403, no bounce to sign-in, never a 5xx);
- staff route, visitor is nobody / signed in without the second factor / a disabled
  account: a redirect to the sign-in page;
- staff route, signed in with both factors but the wrong role: 403;
- staff route, the right role: an answer of the page itself (200, a redirect that is not
  to sign-in, 400 for missing form fields, 404 for an unknown id, 405, 409 for results of
  a wave that has none yet) - never 403, never 5xx.

URL parameters are filled from seeded data (a wave, an organisation, a case, a staff
account, an invitation token, an open link); staff routes are also tried with a made-up
id, where the right role must get 404, never a 500.
"""
from __future__ import annotations

import re

import pytest

from survey.concerns import ConcernInput, raise_concern
from survey.extensions import access_key_hasher, keyring
from survey.models import Role
from tests.conftest import csrf_from
from tests.respond_support import make_open_link, make_token, make_wave

PUBLIC = "public"
ADMIN, GUARDIAN, EDI = frozenset({"admin"}), frozenset({"guardian"}), frozenset({"edi_lead"})

EXPECTED: dict[str, str | frozenset] = {
    # start page, accessibility statement, assets
    "/": PUBLIC,
    "/accessibility": PUBLIC,
    "/assets/images/<path:name>": PUBLIC,
    "/static/<path:filename>": PUBLIC,
    # staff sign-in and account set-up
    "/auth/sign-in": PUBLIC,
    "/auth/sign-out": PUBLIC,
    "/auth/setup/<token>": PUBLIC,
    # answering a survey
    "/respond/": PUBLIC,
    "/respond/check": PUBLIC,
    "/respond/done": PUBLIC,
    "/respond/o/<slug>": PUBLIC,
    "/respond/page/<int:number>": PUBLIC,
    "/respond/submit": PUBLIC,
    "/respond/t/<token>": PUBLIC,
    # speaking up
    "/speakup/": PUBLIC,
    "/speakup/case": PUBLIC,
    "/speakup/case/feedback": PUBLIC,
    "/speakup/case/leave": PUBLIC,
    "/speakup/case/message": PUBLIC,
    "/speakup/case/withdraw": PUBLIC,
    "/speakup/followup": PUBLIC,
    "/speakup/next": PUBLIC,
    "/speakup/raise": PUBLIC,
    "/speakup/raised": PUBLIC,
    # guardian desk
    "/guardian/": GUARDIAN,
    "/guardian/cases/<int:case_id>": GUARDIAN,
    "/guardian/cases/<int:case_id>/acknowledge": GUARDIAN,
    "/guardian/cases/<int:case_id>/close": GUARDIAN,
    "/guardian/cases/<int:case_id>/note": GUARDIAN,
    "/guardian/cases/<int:case_id>/reply": GUARDIAN,
    "/guardian/cases/<int:case_id>/reveal": GUARDIAN,
    "/guardian/cases/<int:case_id>/status": GUARDIAN,
    "/guardian/cases/<int:case_id>/trail": GUARDIAN,
    "/guardian/return": GUARDIAN,
    # administration
    "/admin/": ADMIN,
    "/admin/audit": ADMIN,
    "/admin/orgs": ADMIN,
    "/admin/orgs/<int:org_id>/edit": ADMIN,
    "/admin/orgs/import": ADMIN,
    "/admin/staff": ADMIN,
    "/admin/staff/<int:user_id>/<any(disable, enable, reset):action>": ADMIN,
    "/admin/staff/new": ADMIN,
    "/admin/surveys": ADMIN,
    "/admin/surveys/upload": ADMIN,
    "/admin/waves": ADMIN,
    "/admin/waves/<int:wave_id>": ADMIN,
    "/admin/waves/<int:wave_id>/close": ADMIN,
    "/admin/waves/<int:wave_id>/invited": ADMIN,
    "/admin/waves/<int:wave_id>/links": ADMIN,
    "/admin/waves/<int:wave_id>/tokens": ADMIN,
    "/admin/waves/new": ADMIN,
    # EDI lead: results and downloads
    "/reports/": EDI,
    "/reports/benchmarks": EDI,
    "/reports/waves/<int:wave_id>": EDI,
    "/reports/waves/<int:wave_id>/chart.svg": EDI,
    "/reports/waves/<int:wave_id>/comments": EDI,
    "/reports/waves/<int:wave_id>/download/<name>": EDI,
    "/reports/waves/<int:wave_id>/indicator": EDI,
    "/reports/waves/<int:wave_id>/notify-me": EDI,
    "/reports/waves/<int:wave_id>/prepare": EDI,
    "/reports/waves/<int:wave_id>/response-rates": EDI,
    "/reports/waves/<int:wave_id>/trend": EDI,
}

# Public routes whose own answer is to send the browser to the sign-in page.
LANDS_ON_SIGN_IN = {"/auth/sign-out"}

VISITORS = ("nobody", "no_second_factor", "disabled", "guardian", "edi_lead", "admin")
PARAM = re.compile(r"<(?:(?P<conv>[a-z]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
MADE_UP_ID = 987654


def _staff_role(visitor: str) -> str | None:
    return visitor if visitor in ("guardian", "edi_lead", "admin") else None


@pytest.fixture
def seeded(app, db, make_staff):
    wave, org = make_wave(db)
    case = raise_concern(db, keyring(), access_key_hasher(), ConcernInput(text="A matrix concern", elements=[], anonymous=True))
    db.commit()
    staff = {role: make_staff(role) for role in ("guardian", "edi_lead", "admin")}
    staff["disabled"] = make_staff("admin")
    staff["no_second_factor"] = make_staff("admin")
    target = make_staff("edi_lead")          # the account the staff-action routes act on
    values = {
        "org_id": org.id, "wave_id": wave.id, "case_id": case.concern.id, "user_id": target.id,
        "token": make_token(db, wave, org), "slug": make_open_link(db, wave, org), "number": 1,
        "name": "favicon.svg", "filename": "app.css",
    }
    return {"staff": staff, "values": values}


def _url(rule: str, values: dict, made_up: bool = False) -> str:
    def fill(m: re.Match) -> str:
        conv, args, name = m.group("conv"), m.group("args"), m.group("name")
        if conv == "any":
            return args.split(",")[0].strip().strip("'\"")
        if made_up and conv == "int" and name != "number":
            return str(MADE_UP_ID)
        if name == "name" and "/download/" in rule:
            return "indicators.csv"
        assert name in values, f"no seeded value for URL parameter <{name}> in {rule}: add one to `seeded`"
        return str(values[name])
    return PARAM.sub(fill, rule)


def _visitor_cookie(app, db, seeded, visitor: str) -> tuple[str | None, str]:
    """(session cookie, CSRF token) for a visitor, prepared once."""
    client = app.test_client()
    csrf = csrf_from(client.get("/auth/sign-in").get_data(as_text=True))
    if visitor != "nobody":
        user = seeded["staff"][visitor]
        with client.session_transaction() as s:
            s["staff_id"] = user.id
            s["staff_epoch"] = user.session_epoch
            if visitor != "no_second_factor":
                s["mfa"] = True
        if visitor == "disabled":
            from survey.models import StaffUser
            db.get(StaffUser, user.id).is_active = False
            db.commit()
    cookie = client.get_cookie("session")
    return (cookie.value if cookie else None), csrf


def _request(app, cookie, csrf, method: str, url: str):
    client = app.test_client()
    if cookie:
        client.set_cookie("session", cookie, domain="localhost")
    if method == "POST":
        return client.post(url, data={"csrf_token": csrf})
    return client.get(url)


def _to_sign_in(resp) -> bool:
    return resp.status_code in (301, 302, 303) and "/auth/sign-in" in resp.headers.get("Location", "")


def test_every_route_is_in_the_table(app):
    missing = sorted({r.rule for r in app.url_map.iter_rules()} - set(EXPECTED))
    assert not missing, ("Routes without an entry in the authorization matrix: " + ", ".join(missing)
                         + ". Add each to EXPECTED in tests/app/test_authz_matrix.py with 'public' or the roles allowed.")


def test_the_table_has_no_stale_entries(app):
    rules = {r.rule for r in app.url_map.iter_rules()}
    stale = sorted(set(EXPECTED) - rules)
    assert not stale, "Entries for routes that no longer exist: " + ", ".join(stale)


def test_staff_routes_declare_the_same_roles_as_the_table(app):
    """The decorator and the table agree (a route cannot drift from its entry)."""
    for rule in app.url_map.iter_rules():
        expected = EXPECTED.get(rule.rule)
        if expected is None:
            continue
        roles = getattr(app.view_functions[rule.endpoint], "staff_roles", None)
        if expected == PUBLIC:
            assert roles is None, f"{rule.rule} is public in the table but guarded by staff_required({roles})"
        else:
            assert roles is not None, f"{rule.rule} must be guarded by staff_required{tuple(expected)}"
            assert {Role(r) for r in expected} == set(roles), f"{rule.rule}: table {expected}, view {roles}"


def test_matrix(app, db, seeded):
    values = seeded["values"]
    prepared = {v: _visitor_cookie(app, db, seeded, v) for v in VISITORS}
    problems: list[str] = []
    tried = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        expected = EXPECTED.get(rule.rule)
        if expected is None:
            continue        # reported by test_every_route_is_in_the_table
        methods = sorted(rule.methods & {"GET", "POST"})
        variants = [False] + ([True] if expected != PUBLIC and "<int:" in rule.rule else [])
        for made_up in variants:
            url = _url(rule.rule, values, made_up)
            for method in methods:
                for visitor in VISITORS:
                    cookie, csrf = prepared[visitor]
                    resp = _request(app, cookie, csrf, method, url)
                    tried += 1
                    code = resp.status_code
                    where = f"{method} {url} as {visitor}: {code} {resp.headers.get('Location', '')}"
                    if code >= 500:
                        problems.append(where + " (server error)")
                    elif expected == PUBLIC:
                        if code in (401, 403) or (_to_sign_in(resp) and rule.rule not in LANDS_ON_SIGN_IN):
                            problems.append(where + " (public route refused)")
                    elif _staff_role(visitor) is None:
                        if not _to_sign_in(resp):
                            problems.append(where + " (expected a redirect to sign-in)")
                    elif _staff_role(visitor) not in expected:
                        if code != 403:
                            problems.append(where + " (expected 403 for the wrong role)")
                    else:
                        # 409: the page exists but not yet for this object (results of an open wave)
                        ok = {200, 302, 303, 400, 405, 409} | ({404} if method == "POST" else set())
                        if made_up:
                            ok = {404, 405} if method == "GET" else {400, 404}
                        if code not in ok or _to_sign_in(resp):
                            problems.append(where + f" (right role: expected one of {sorted(ok)})")
                        if method == "GET" and not made_up and code != 200 and "<" not in rule.rule:
                            problems.append(where + " (right role: the page should open)")
    assert tried > 300
    assert not problems, "Authorization matrix failures:\n" + "\n".join(problems)
