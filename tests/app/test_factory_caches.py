"""What the app factory keeps per process for speed must still follow its inputs: the
session serializer follows SECRET_KEY (and its fallbacks), and base.html's fixed links
follow the script root they are served under."""
from __future__ import annotations

import re

import pytest
from itsdangerous import BadSignature

from tests.respond_support import fresh_client


def test_a_new_secret_key_rejects_old_cookies_and_fallbacks_accept_them(app):
    interface = app.session_interface
    with app.test_request_context():
        old_key = app.secret_key
        cookie = interface.get_signing_serializer(app).dumps({"respond": {"kind": "open"}})
        assert interface.get_signing_serializer(app) is interface.get_signing_serializer(app)   # kept
        app.secret_key = "another-secret-key-" + "x" * 20
        try:
            serializer = interface.get_signing_serializer(app)
            assert serializer.loads(interface.get_signing_serializer(app).dumps({"a": 1})) == {"a": 1}
            with pytest.raises(BadSignature):
                serializer.loads(cookie)
            app.config["SECRET_KEY_FALLBACKS"] = [old_key]
            assert interface.get_signing_serializer(app).loads(cookie) == {"respond": {"kind": "open"}}
        finally:
            app.config["SECRET_KEY_FALLBACKS"] = []
            app.secret_key = old_key


def test_fixed_links_follow_the_script_root(app):
    client = fresh_client(app)
    plain = client.get("/respond/done").get_data(as_text=True)
    assert re.search(r'href="/static/app\.css\?v=\w+"', plain)
    prefixed = client.get("/respond/done", environ_overrides={"SCRIPT_NAME": "/survey"}).get_data(as_text=True)
    assert re.search(r'href="/survey/static/app\.css\?v=\w+"', prefixed)
    assert 'src="/survey/static/app.js' in prefixed
    again = client.get("/respond/done").get_data(as_text=True)
    assert 'href="/survey/' not in again
