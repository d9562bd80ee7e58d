"""Response headers: a strict content security policy, no referrer, no caching of pages."""
from __future__ import annotations

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
        else:
            h.setdefault("Cache-Control", "public, max-age=604800")
        if app.config.get("SESSION_COOKIE_SECURE"):
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
