"""Bytes transferred per page in Chromium at phone size: the survey, speak-up and follow-up.

A fresh instance (as bench/submit.py makes it) is served on loopback through a small WSGI
gzip middleware that models the TLS proxy of the deployment: it gzips text responses
(HTML, CSS, JavaScript, SVG, JSON) of 256 bytes or more at level 6, as nginx/Caddy would
with `gzip on`; the app itself never compresses. Chromium (/usr/bin/chromium, Playwright,
375 x 667) walks each journey three times:

- cold: browser cache disabled, so every page is measured as a first visit;
- warm: the cache primed by one earlier page, so a page costs its HTML (static files are
  served with Cache-Control max-age=604800 and are not asked for again);
- no JavaScript: the same journey with JavaScript off, every form submitted, checking
  that each page arrives where it should.

Bytes are what the network carried (Chrome DevTools Protocol encodedDataLength:
headers plus compressed body, redirects included). The NHS.UK CSS is shipped without its
web fonts (static/nhsuk/LICENCE.txt), so no page asks any other host for anything.

    .venv/bin/python bench/pageweight.py

Targets: first visit < 150 KB, each later page < 20 KB, no page needs JavaScript.
"""
from __future__ import annotations

import gzip
import os
import re
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import make_instance, issue_tokens  # noqa: E402

CHROMIUM = os.environ.get("SURVEY_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 375, "height": 667}
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
FIRST_VISIT_KB = 150
LATER_PAGE_KB = 20
COMPRESSION = "gzip-middleware-level6"
GZIP_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml", "text/javascript")
GZIP_MIN = 256


class GzipMiddleware:
    """Bench only: what the deployment's reverse proxy does to text responses."""

    def __init__(self, app, level: int = 6):
        self.app, self.level = app, level

    def __call__(self, environ, start_response):
        if "gzip" not in environ.get("HTTP_ACCEPT_ENCODING", ""):
            return self.app(environ, start_response)
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: captured.setdefault("early", []).append(data)

        result = self.app(environ, capture)
        try:
            body = b"".join(captured.get("early", [])) + b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = captured["headers"]
        names = {k.lower(): v for k, v in headers}
        ctype = names.get("content-type", "")
        if (len(body) >= GZIP_MIN and "content-encoding" not in names and ctype.startswith(GZIP_TYPES)
                and not captured["status"].startswith(("204", "304"))):
            body = gzip.compress(body, self.level)
            headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "vary")]
            headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body))),
                        ("Vary", "Accept-Encoding")]
        start_response(captured["status"], headers)
        return [body]


@dataclass
class Page:
    journey: str
    name: str
    path: str = ""
    cold: int = 0
    warm: int = 0
    cold_requests: int = 0
    warm_requests: int = 0
    html_cold: int = 0
    nojs_ok: bool | None = None
    notes: list[str] = field(default_factory=list)


class Meter:
    """Sums encodedDataLength over the network events of one page load (CDP)."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.reset()
        self.cdp.on("Network.requestWillBeSent", self._sent)
        self.cdp.on("Network.responseReceived", self._received)
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.loadingFailed", self._failed)

    def reset(self) -> None:
        self.bytes = 0
        self.requests = 0
        self.document = 0
        self.failed: list[str] = []
        self._types: dict[str, str] = {}
        self._urls: dict[str, str] = {}

    def _sent(self, e) -> None:
        self._urls[e["requestId"]] = e["request"]["url"]
        self._types[e["requestId"]] = e.get("type", "")
        if e.get("redirectResponse"):
            self.bytes += int(e["redirectResponse"].get("encodedDataLength", 0))
            self.requests += 1

    def _received(self, e) -> None:
        self._types[e["requestId"]] = e.get("type", self._types.get(e["requestId"], ""))

    def _finished(self, e) -> None:
        n = int(e.get("encodedDataLength", 0))
        self.bytes += n
        if n:
            self.requests += 1
        if self._types.get(e["requestId"]) == "Document":
            self.document += n

    def _failed(self, e) -> None:
        if not e.get("canceled"):
            self.failed.append(self._urls.get(e["requestId"], "?").split("?")[0])

    def cache(self, enabled: bool) -> None:
        if not enabled:
            self.cdp.send("Network.clearBrowserCache")
        self.cdp.send("Network.setCacheDisabled", {"cacheDisabled": not enabled})


def _settle(page) -> None:
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)     # let the last loadingFinished events arrive


def _submit(page, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).first.click()


def _answer_page(page) -> None:
    """Pick the first option of every radio group; leave checkboxes and text empty."""
    seen = set()
    for radio in page.locator("input[type=radio]").all():
        name = radio.get_attribute("name")
        if name not in seen:
            seen.add(name)
            radio.check(force=True)


def survey_journey(page, base: str, token: str):
    """Yield (page name, path) after each page of the survey has loaded."""
    page.goto(f"{base}/respond/t/{token}")
    _settle(page)
    yield "respond: privacy (from the token link)", "/respond/"
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Start now|Continue where")).first.click()
    _settle(page)
    n = 0
    while "/respond/page/" in page.url:
        n += 1
        yield f"respond: section page {n}", page.url.split(base, 1)[-1]
        _answer_page(page)
        _submit(page, "Continue")
        _settle(page)
    if "/respond/check" not in page.url:
        raise RuntimeError(f"expected the check page, got {page.url}")
    yield "respond: check answers", "/respond/check"
    _submit(page, "Submit")
    _settle(page)
    if "/respond/done" not in page.url:
        raise RuntimeError(f"expected the thank-you page, got {page.url}")
    yield "respond: submitted", "/respond/done"


def speakup_journey(page, base: str, found: dict):
    page.goto(f"{base}/speakup/")
    _settle(page)
    yield "speakup: start", "/speakup/"
    page.goto(f"{base}/speakup/raise")
    _settle(page)
    yield "speakup: form", "/speakup/raise"
    page.locator("textarea[name=text]").fill("The handover book was missing twice this week and a result was not acted on.")
    page.locator("input[name=contact_mode][value=anonymous]").check(force=True)
    _submit(page, "Send to the guardian")
    _settle(page)
    keys = page.locator(".app-key").all_inner_texts()
    if len(keys) < 2:
        raise RuntimeError(f"no reference and key on {page.url}")
    found["reference"], found["key"] = keys[0].strip(), keys[1].strip()
    yield "speakup: reference and key", "/speakup/raised"
    page.locator("input[name=saved]").check(force=True)
    _submit(page, "Continue")
    _settle(page)
    yield "speakup: what happens next", "/speakup/next"


def followup_journey(page, base: str, found: dict):
    page.goto(f"{base}/speakup/followup")
    _settle(page)
    yield "followup: sign in with reference and key", "/speakup/followup"
    page.locator("input[name=reference]").fill(found["reference"])
    page.locator("input[name=key]").fill(found["key"])
    _submit(page, "Open my case")
    _settle(page)
    if "/speakup/case" not in page.url:
        raise RuntimeError(f"follow-up sign-in failed: {page.url}")
    yield "followup: case", "/speakup/case"
    page.locator("textarea[name=body]").fill("One more thing: it happened on the late shift.")
    _submit(page, "Send")
    _settle(page)
    yield "followup: case after a message", "/speakup/case"


def walk(browser, base: str, token: str, mode: str, pages: dict[str, Page]) -> None:
    """One pass over all three journeys: mode is cold, warm or nojs."""
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, java_script_enabled=(mode != "nojs"))
    page = context.new_page()
    meter = Meter(context, page)
    meter.cache(mode != "cold")
    if mode == "warm":
        page.goto(f"{base}/speakup/")   # primes the cache with the static files every page shares
        _settle(page)
    found: dict = {}
    journeys = [("survey", survey_journey(page, base, token)), ("speakup", speakup_journey(page, base, found)),
                ("followup", followup_journey(page, base, found))]
    try:
        for journey, steps in journeys:
            meter.reset()
            for name, path in steps:
                p = pages.setdefault(name, Page(journey, name, path))
                if mode == "cold":
                    p.cold, p.cold_requests, p.html_cold = meter.bytes, meter.requests, meter.document
                    p.notes += [f"blocked/failed: {u}" for u in sorted(set(meter.failed)) if u not in p.notes]
                elif mode == "warm":
                    p.warm, p.warm_requests = meter.bytes, meter.requests
                else:
                    p.nojs_ok = True
                meter.reset()
                if mode == "cold":
                    meter.cache(False)     # clears the cache again before the next page
    finally:
        context.close()


def serve(app):
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, GzipMiddleware(app), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def main() -> int:
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        print(f"RESULT skipped=1 reason=no_chromium_at_{CHROMIUM}")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="bench-pageweight-"))
    try:
        env = make_instance(tmp, f"sqlite:///{tmp / 'instance' / 'survey.db'}")
        tokens = issue_tokens(env, tmp, 3)
        os.environ.update({k: v for k, v in env.items() if k.startswith("SURVEY_")})
        from survey import create_app
        import logging
        app = create_app()
        logging.getLogger("survey").handlers.clear()          # no request log on the terminal
        logging.getLogger("survey").addHandler(logging.NullHandler())
        server, base = serve(app)
        pages: dict[str, Page] = {}
        nojs_error = None
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            try:
                walk(browser, base, tokens[0], "cold", pages)
                walk(browser, base, tokens[1], "warm", pages)
                try:
                    walk(browser, base, tokens[2], "nojs", pages)
                except Exception as exc:   # a page that does not work without JavaScript
                    nojs_error = f"{type(exc).__name__}: {exc}"[:200]
            finally:
                browser.close()
        server.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return report(pages, nojs_error)


def report(pages: dict[str, Page], nojs_error: str | None) -> int:
    print(f"Compression: {COMPRESSION} (bench-only WSGI middleware modelling the reverse proxy: text "
          f">= {GZIP_MIN} B gzipped). KB = 1000 bytes on the wire, headers included.")
    print(f"{'page':44s} {'first visit KB':>14s} {'(reqs)':>6s} {'HTML KB':>8s} {'later KB':>9s} {'(reqs)':>6s} {'no JS':>6s}")
    for p in pages.values():
        print(f"{p.name:44s} {p.cold / 1000:14.1f} {p.cold_requests:6d} {p.html_cold / 1000:8.1f} {p.warm / 1000:9.1f} "
              f"{p.warm_requests:6d} {('ok' if p.nojs_ok else 'FAIL'):>6s}")
    notes = sorted({n for p in pages.values() for n in p.notes})
    for n in notes:
        print(f"   note: {n} (not transferred)")
    if nojs_error:
        print(f"   without JavaScript: {nojs_error}")
    for p in pages.values():
        key = re.sub(r"[^a-z0-9]+", "_", p.name.lower()).strip("_")
        print(f"RESULT page={key} first_kb={p.cold / 1000:.1f} later_kb={p.warm / 1000:.1f} "
              f"nojs_ok={int(bool(p.nojs_ok))}")
    first = max(p.cold for p in pages.values()) / 1000
    entry = [p.cold / 1000 for p in pages.values() if p.name.startswith(("respond: privacy", "speakup: start",
                                                                         "followup: sign in"))]
    later = max(p.warm for p in pages.values()) / 1000
    nojs = all(p.nojs_ok for p in pages.values()) and not nojs_error
    ok = max(entry) < FIRST_VISIT_KB and first < FIRST_VISIT_KB and later < LATER_PAGE_KB and nojs
    print(f"RESULT summary=1 pages={len(pages)} max_first_kb={first:.1f} max_later_kb={later:.1f} "
          f"nojs_all_ok={int(nojs)} compression={COMPRESSION} targets_met={int(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
