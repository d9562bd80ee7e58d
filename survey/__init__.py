"""Staff voice: anonymous staff surveys and Freedom to Speak Up for NHS general practice.

`create_app(test_config=None)` builds the application; `flask --app survey ...` finds it.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from survey.config import Defaults, check_secrets, default_instance_path

ROOT = Path(__file__).resolve().parent.parent

# CLI commands that create the secrets, so they may run before there are any.
SETUP_COMMANDS = {"init", "demo"}


def _creating_instance() -> bool:
    if click.get_current_context(silent=True) is None:
        return False
    words = [a for a in sys.argv[1:] if not a.startswith("-")]
    return bool(SETUP_COMMANDS & set(words))


def create_app(test_config: dict | None = None) -> Flask:
    instance_path = Path(test_config.get("INSTANCE_PATH")) if test_config and test_config.get("INSTANCE_PATH") else default_instance_path()
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(prefix="SURVEY")
    if test_config:
        app.config.update(test_config)

    if app.config.get("DEMO") and not app.config.get("GUARDIAN_CONTACTS"):
        from survey.demo_data import GUARDIAN_CONTACTS as DEMO_GUARDIANS
        app.config["GUARDIAN_CONTACTS"] = dict(DEMO_GUARDIANS)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{instance_path / 'survey.db'}"
    if not app.config.get("TESTING") and not _creating_instance():
        try:
            check_secrets(app.config)
        except RuntimeError as exc:
            if click.get_current_context(silent=True) is not None:
                # On the command line: one clear line instead of a traceback.
                from flask.cli import NoAppException
                raise NoAppException(str(exc)) from None
            raise

    app.session_interface = _SessionInterface()
    from survey import db, extensions, logs, security, errors
    logs.init_app(app)
    db.init_app(app)
    extensions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    from survey import filters
    filters.init_app(app)

    from survey.auth import bp as auth_bp
    from survey.respond import bp as respond_bp
    from survey.speakup import bp as speakup_bp
    from survey.guardian import bp as guardian_bp
    from survey.reports import bp as reports_bp
    from survey.admin import bp as admin_bp
    from survey.home import bp as home_bp
    for bp in (home_bp, auth_bp, respond_bp, speakup_bp, guardian_bp, reports_bp, admin_bp):
        app.register_blueprint(bp)

    if app.config.get("PROXY_COUNT"):
        # Behind a TLS proxy: trust its X-Forwarded-Proto/Host, and the client address it
        # passes in X-Forwarded-For. That address goes only to the rate limiter (a keyed
        # hash in memory or Redis, for the window); without it every visitor would share
        # the proxy's address and one busy client would lock everyone out.
        from werkzeug.middleware.proxy_fix import ProxyFix
        n = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    _fixed_urls(app)
    from survey.cli import register as register_cli
    register_cli(app)
    from survey import jobs
    jobs.init_app(app)          # last: under `flask run` it starts a consumer on the finished app
    return app


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, with its serializer built once per set of keys
    instead of twice per request (building one serialises a probe value to learn the
    serializer's type, which cost more than reading the cookie)."""

    _built: tuple | None = None

    def get_signing_serializer(self, app: Flask):
        if not app.secret_key:
            return None
        keys = (tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)
        built = self._built
        if built is None or built[0] != keys:
            built = self._built = (keys, super().get_signing_serializer(app))
        return built[1]


def _site(environ) -> tuple:
    """What url_for takes from a request besides its arguments (host, script root, scheme)."""
    return (environ.get("HTTP_HOST"), environ.get("SERVER_NAME"), environ.get("SERVER_PORT"),
            environ.get("SCRIPT_NAME"), environ.get("wsgi.url_scheme"))


def _fixed(built: dict, site: tuple, endpoint: str, values: dict) -> str:
    from flask import url_for
    key = (site, endpoint, tuple(sorted(values.items())))
    url = built.get(key)
    if url is None:
        url = url_for(endpoint, **values)
        if len(built) < 1024:
            built[key] = url
    return url


def fixed_url(endpoint: str, **values) -> str:
    """url_for, built once per process for each host, script root, scheme and arguments
    (bounded): for links whose arguments come from a small fixed set (pages of a survey,
    static files), never from what a visitor sends."""
    from flask import current_app, request
    return _fixed(current_app.extensions["survey.fixed_urls"], _site(request.environ), endpoint, values)


def _fixed_urls(app: Flask) -> None:
    """`fixed_url(endpoint, **values)` for templates too: base.html's static files and
    footer links cost more to build than the rest of the layout. In templates the
    request's environ is read once per render, not once per link."""
    from flask import has_request_context, request, url_for

    built: dict[tuple, str] = app.extensions.setdefault("survey.fixed_urls", {})

    @app.context_processor
    def _fixed_url():
        if not has_request_context():
            return {"fixed_url": url_for}
        site = _site(request.environ)
        return {"fixed_url": lambda endpoint, **values: _fixed(built, site, endpoint, values)}
