"""gunicorn.conf.py's hooks, called as gunicorn calls them."""
from __future__ import annotations

import gc
import runpy
from types import SimpleNamespace

from survey import ROOT


def test_templates_are_compiled_and_the_heap_frozen_in_the_master_before_workers_fork(app):
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    env = app.jinja_env
    env.cache.clear()
    try:
        conf["when_ready"](SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app)))
        assert gc.get_freeze_count() > 0            # what the master loaded is left out of GC
    finally:
        gc.unfreeze()
    compiled = {key[1] for key in env.cache.keys()}
    for name in ("base.html", "macros/forms.html", "respond/page.html", "respond/check.html", "errors/error.html"):
        assert name in compiled
    template = env.get_template("respond/page.html")
    assert env.get_template("respond/page.html") is template      # served from the cache
