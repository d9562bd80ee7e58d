"""Response headers: a strict content security policy, no referrer, no caching of pages."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import request

from survey.errors import render_error

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


# Endpoints that serve unchanging files (NHS.UK frontend's icons are served from
# /assets/images/ because its CSS refers to them there).
STATIC_ENDPOINTS = {"static", "home.nhsuk_assets"}


def _holds_nul(multidict) -> bool:
    return any("\x00" in k or "\x00" in v for k, v in multidict.items(multi=True) if isinstance(v, str))


def static_version(folder: str) -> str:
    """A short digest of every static file: part of each static URL, so browsers may keep
    the files for a year and still fetch new ones the moment a release changes them."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def init_app(app) -> None:
    @app.before_request
    def _refuse_nul_characters():
        """No page has a use for a NUL character, and PostgreSQL cannot store one in text:
        refuse it in the address, the query string or a form, with a page that says so."""
        if (any("\x00" in str(v) for v in (request.view_args or {}).values()) or _holds_nul(request.args)
                or (request.method == "POST" and _holds_nul(request.form))):
            return render_error(400, "What you sent contains a character that cannot be used",
                                "Part of it held a NUL character, which cannot come from typing. Go back, "
                                "retype or paste the text again without it, and send it again.")
        return None

    app.config["STATIC_VERSION"] = static_version(app.static_folder)

    @app.url_defaults
    def _version_static_urls(endpoint, values):
        if endpoint == "static" and "v" not in values:
            values["v"] = app.config["STATIC_VERSION"]

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("Referrer-Policy", "no-referrer")   # links carry tokens
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.endpoint not in STATIC_ENDPOINTS:
            # Nothing a person typed or was shown (keys, answers, cases) stays in a cache.
            h["Cache-Control"] = "no-store"
            h["Pragma"] = "no-cache"
        elif request.args.get("v") == app.config["STATIC_VERSION"]:
            # Versioned URL (see static_version below): the content never changes under it.
            h["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            h["Cache-Control"] = "public, max-age=3600"
        if app.config.get("SESSION_COOKIE_SECURE"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
