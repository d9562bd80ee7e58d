"""Real-browser tests: Playwright driving Debian's Chromium at phone size, axe-core for WCAG.

Skipped, with the reason, where /usr/bin/chromium or Playwright is missing; `.ci/run`
installs Chromium (Playwright cannot download its own browser on these machines).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SURVEY_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 375, "height": 667}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None

if sync_playwright is None:
    _skip_reason = "playwright is not installed (pip install -e '.[test]')"
elif not Path(CHROMIUM).exists():
    _skip_reason = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium; .ci/run does this)"
else:
    _skip_reason = None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if _skip_reason:
                item.add_marker(pytest.mark.skip(reason=_skip_reason))


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def live_server(app):
    """Serve `app` (the test app, on its own database) on a free loopback port."""
    from werkzeug.serving import make_server

    app.config["SERVER_NAME"] = None
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def _context(browser, javascript: bool):
    ctx = browser.new_context(viewport=PHONE, java_script_enabled=javascript, is_mobile=True, has_touch=True)
    ctx.survey_javascript = javascript      # read by assert_accessible
    return ctx


@pytest.fixture
def phone(browser):
    """A page in a 375 x 667 phone viewport with JavaScript on."""
    ctx = _context(browser, True)
    page = ctx.new_page()
    yield page
    ctx.close()


@pytest.fixture
def phone_nojs(browser):
    """The same viewport with JavaScript switched off."""
    ctx = _context(browser, False)
    page = ctx.new_page()
    yield page
    ctx.close()


def _axe(page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    return results.response["violations"]


def _axe_without_javascript(page) -> list[dict]:
    """axe-core is JavaScript, and its promise never settles in a page whose JavaScript is
    off. So the page's DOM, as it is (its script elements removed, so nothing changes it),
    is served again at the same address to a JavaScript-enabled page of the same size,
    where axe runs; styles and images still come from the live server."""
    import re
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S | re.I)
    url = page.url
    ctx = page.context.browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        ctx.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
        mirror = ctx.new_page()
        mirror.goto(url)
        assert mirror.title() == page.title(), "the copy of the page is not the page"
        return _axe(mirror)
    finally:
        ctx.close()


def assert_accessible(page) -> None:
    """No WCAG 2.2 A/AA violations reported by axe-core on the current page (for a page
    without JavaScript, on a copy of its DOM: see _axe_without_javascript)."""
    if getattr(page.context, "survey_javascript", True):
        violations = _axe(page)
    else:
        violations = _axe_without_javascript(page)
    detail = "\n".join(f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}" for v in violations)
    assert not violations, f"axe found WCAG violations on {page.url}:\n{detail}"


def assert_fits_phone(page) -> None:
    """Nothing forces sideways scrolling at phone width."""
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{page.url} is {overflow}px wider than the phone screen"
