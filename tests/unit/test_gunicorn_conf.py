"""gunicorn.conf.py's hooks, called as gunicorn calls them."""
from __future__ import annotations

import runpy
from types import SimpleNamespace

from survey import ROOT


def test_templates_are_compiled_in_the_master_before_workers_fork(app):
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    env = app.jinja_env
    env.cache.clear()
    conf["when_ready"](SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app)))
    compiled = {key[1] for key in env.cache.keys()}
    for name in ("base.html", "macros/forms.html", "respond/page.html", "respond/check.html", "errors/error.html"):
        assert name in compiled
    template = env.get_template("respond/page.html")
    assert env.get_template("respond/page.html") is template      # served from the cache
