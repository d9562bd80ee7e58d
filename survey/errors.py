"""Error pages that say what went wrong and what to do; never a stack trace."""
from __future__ import annotations

import logging

from flask import render_template
from redis.exceptions import RedisError
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("survey")

MESSAGES = {
    400: ("The request could not be understood", "Go back, reload the page and try again."),
    403: ("You cannot see this page", "Sign in with an account that has access, or go back to the start."),
    404: ("Page not found", "Check the address, or go back to the start."),
    405: ("That action is not allowed here", "Go back and use the buttons on the page."),
    413: ("What you sent is too large", "Shorten the text or choose a smaller file (the limit is 2 MB), then try again."),
    429: ("Too many attempts", "Wait a while before trying again. This protects everyone's keys and accounts."),
    500: ("Sorry, something went wrong", "Try again in a few minutes. Nothing you had already submitted has been lost."),
    503: ("The service is not available just now", "Your answers have not been saved yet. Go back, check they are still there, and try again in a few minutes."),
}


def render_error(code: int, title: str | None = None, advice: str | None = None):
    default_title, default_advice = MESSAGES.get(code, MESSAGES[500])
    return render_template("errors/error.html", code=code, title=title or default_title,
                           advice=advice or default_advice), code


def init_app(app) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(err):
        reason = (err.description or "").lower()
        if "session token is missing" in reason:
            return render_error(400, "Your browser did not send back this site's cookie",
                                "The forms on this site need a cookie that lasts until you close your browser. "
                                "Allow cookies for this site, go back, reload the page and try again.")
        return render_error(400, "This form has expired",
                            "The page was open too long or was sent twice. Go back, reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        return render_error(err.code or 500)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def _db(err):
        unavailable = isinstance(err, (OperationalError, InterfaceError))
        if app.config.get("TESTING") and not app.config.get("RENDER_500_IN_TESTS") and not unavailable:
            raise err
        if unavailable:
            log.error("database unavailable: %s", type(err).__name__)
            return render_error(503)
        if isinstance(err, DataError):
            # A value the database cannot hold got past the forms: the request's fault.
            log.warning("database refused a value: %s", type(err).__name__)
            return render_error(400)
        log.error("database error: %s", type(err).__name__)
        return render_error(500)

    @app.errorhandler(RedisError)
    def _redis(err):
        # The shared rate-limit store (SURVEY_REDIS_URL) is down: the pages that count
        # attempts cannot answer safely, but nothing is broken for good.
        log.error("rate-limit store unavailable: %s", type(err).__name__)
        return render_error(503)

    @app.errorhandler(Exception)
    def _any(err):
        if app.config.get("TESTING") and not app.config.get("RENDER_500_IN_TESTS"):
            raise err
        # Log the type only: an exception message may hold submitted text.
        log.error("unhandled error: %s", type(err).__name__)
        return render_error(500)
