import pytest

from survey import create_app
from tests.conftest import base_test_config


def test_testing_config_overrides_defaults(app):
    assert app.testing
    assert app.config["MIN_CELL"] == 11


def test_refuses_to_start_without_secrets(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "TOKEN_PEPPER", "ACCESS_KEY_PEPPER"):
        monkeypatch.delenv("SURVEY_" + name, raising=False)
    monkeypatch.setenv("SURVEY_INSTANCE_PATH", str(tmp_path / "empty-instance"))
    with pytest.raises(RuntimeError, match="flask --app survey init"):
        create_app()


def test_refuses_equal_peppers(tmp_path, monkeypatch):
    monkeypatch.setenv("SURVEY_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("SURVEY_SECRET_KEY", "k" * 32)
    monkeypatch.setenv("SURVEY_TOKEN_PEPPER", "same" * 8)
    monkeypatch.setenv("SURVEY_ACCESS_KEY_PEPPER", "same" * 8)
    with pytest.raises(RuntimeError, match="must differ"):
        create_app()


def test_environment_overrides_instance_config(tmp_path, monkeypatch):
    inst = tmp_path / "inst"
    inst.mkdir()
    (inst / "config.py").write_text("SECRET_KEY='a'*32\nTOKEN_PEPPER='b'*32\nACCESS_KEY_PEPPER='c'*32\nMIN_CELL=15\n")
    monkeypatch.setenv("SURVEY_INSTANCE_PATH", str(inst))
    assert create_app().config["MIN_CELL"] == 15
    monkeypatch.setenv("SURVEY_MIN_CELL", "20")
    assert create_app().config["MIN_CELL"] == 20
    assert create_app({"MIN_CELL": 30, "TESTING": True}).config["MIN_CELL"] == 30


def test_min_cell_below_five_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("SURVEY_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.setenv("SURVEY_SECRET_KEY", "k" * 32)
    monkeypatch.setenv("SURVEY_TOKEN_PEPPER", "t" * 32)
    monkeypatch.setenv("SURVEY_ACCESS_KEY_PEPPER", "a" * 32)
    monkeypatch.setenv("SURVEY_MIN_CELL", "4")
    with pytest.raises(RuntimeError, match="below 5"):
        create_app()


def test_security_headers(client):
    resp = client.get("/auth/sign-in")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["Cache-Control"] == "no-store"


def test_init_creates_private_instance(tmp_path):
    from survey.cli.setup import ensure_instance
    cfg = base_test_config(tmp_path)
    for key in ("SECRET_KEY", "TOKEN_PEPPER", "ACCESS_KEY_PEPPER", "ENCRYPTION_KEYS"):
        cfg.pop(key)
    app = create_app(cfg)
    with app.app_context():
        ensure_instance(app)
    inst = tmp_path / "instance"
    assert (inst / "config.py").stat().st_mode & 0o777 == 0o600
    assert (inst / "keys.json").stat().st_mode & 0o777 == 0o600
    text = (inst / "config.py").read_text()
    assert "SECRET_KEY" in text and "TOKEN_PEPPER" in text and "ACCESS_KEY_PEPPER" in text


def test_static_files_are_versioned_and_cached_for_a_year(client):
    page = client.get("/auth/sign-in").get_data(as_text=True)
    import re
    href = re.search(r'href="(/static/nhsuk/nhsuk-frontend.min.css\?v=[0-9a-f]{10})"', page)
    assert href, "static URLs carry a content version"
    resp = client.get(href.group(1))
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    unversioned = client.get("/static/nhsuk/nhsuk-frontend.min.css")
    assert "immutable" not in unversioned.headers["Cache-Control"]
