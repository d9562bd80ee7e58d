"""The logs of the real servers name nobody.

gunicorn runs with gunicorn.conf.py exactly as docs/deploy.md says (two workers, the
instance made by `flask --app survey init`, SURVEY_PROXY_COUNT=1 so the forwarded client
address reaches the app, Secure cookies); the demo server is `flask --app survey run`.
Over HTTP, from client address 127.0.0.3 with a distinctive User-Agent and a forged
X-Forwarded-For, a person answers a survey with a token (with a comment), raises a
concern and follows it up with its key; query strings carry a marker. Then everything
the server wrote to stdout and stderr is read: no client address, user agent, forwarded
address, query string, token, access key, case reference or submitted text may appear,
while the app's own request log lines (route patterns) must be there.
"""
from __future__ import annotations

import pytest

from tests.db.gunicorn_support import (CLIENT_ADDRESS, FORWARDED_FOR, Server, answer_survey, follow_up,
                                       make_instance, raise_concern, seed)

pytestmark = pytest.mark.slow

COMMENT = "The rota-swapping spreadsheet marker-9f3c is unfair"
CONCERN = "Controlled drugs left unlocked marker-a81e in the treatment room"
MESSAGE = "More detail for the guardian marker-77d0"
QUERY_MARKER = "qsmarker5512"


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    inst = make_instance(tmp_path_factory.mktemp("srv-logs"))
    yield inst
    inst.drop()


def _visit(server: Server, token: str) -> dict[str, str]:
    c = server.client()
    r = answer_survey(c, token, comment=COMMENT)
    assert r.status == 302 and r.location.endswith("/respond/done"), (r.status, r.text[:300])
    assert c.get("/respond/done").status == 200
    # query strings on public and staff pages
    assert c.get(f"/speakup/?org={QUERY_MARKER}").status == 200
    assert c.get(f"/auth/sign-in?next=/{QUERY_MARKER}").status == 200
    assert c.get(f"/no-such-page?{QUERY_MARKER}=1").status == 404
    # a used token, and a made-up one, refused
    assert c.get(f"/respond/t/{token}").status == 410
    assert c.get(f"/respond/t/{QUERY_MARKER}tok").status == 404
    reference, key = raise_concern(server.client(), CONCERN)
    follow_up(server.client(), reference, key, MESSAGE)
    wrong = server.client().post_form("/speakup/followup", {"reference": reference, "key": key[:-4] + "ZZZZ"})
    assert wrong.status == 400
    return {"reference": reference, "key": key}


def _assert_clean(log: str, token: str, secrets: dict[str, str]) -> None:
    from survey.crypto import normalise_access_key
    forbidden = {
        "client address": CLIENT_ADDRESS, "forwarded address": FORWARDED_FOR,
        "user agent": "StaffVoiceProbe", "user agent product": "TestPhone", "query string": QUERY_MARKER,
        "token": token, "token prefix": token[:12], "access key": secrets["key"],
        "access key (normalised)": normalise_access_key(secrets["key"]), "case reference": secrets["reference"],
        "comment": "marker-9f3c", "concern": "marker-a81e", "message": "marker-77d0",
    }
    leaks = [f"{what}: {value!r}" for what, value in forbidden.items() if value and value.lower() in log.lower()]
    assert not leaks, "Identifying values in the server's output:\n" + "\n".join(leaks) + "\n---\n" + log[-3000:]


def test_gunicorn_logs_name_nobody(instance):
    data = seed(instance, 1)
    token = data["tokens"][0]
    # as docs/deploy.md runs it: behind one TLS proxy, Secure cookies
    server = Server(instance, "gunicorn", workers=2, SURVEY_PROXY_COUNT="1", SURVEY_SESSION_COOKIE_SECURE="true")
    try:
        secrets = _visit(server, token)
    finally:
        log = server.stop()
    _assert_clean(log, token, secrets)
    # the app's own request log is there, with route patterns only
    assert '"route": "/respond/t/<token>"' in log and '"route": "/speakup/followup"' in log, log[-2000:]
    assert "Booting worker" in log          # and it really was gunicorn with its workers


def test_demo_server_logs_name_nobody(instance):
    data = seed(instance, 1)
    token = data["tokens"][0]
    server = Server(instance, "flask")
    try:
        secrets = _visit(server, token)
    finally:
        log = server.stop()
    _assert_clean(log, token, secrets)
    assert '"route": "/respond/t/<token>"' in log, log[-2000:]
    # werkzeug's request line ("127.0.0.3 - - [date] "GET /respond/t/... HTTP/1.1" 302") is off
    assert "HTTP/1.1\" " not in log
