"""Logging that cannot identify anyone.

- The request log is ours: method, the *route pattern* (`/respond/t/<token>`, never the
  path or query that holds a token), status and duration. No client address, no user
  agent, no query string. Werkzeug's own request log (which prints the client address
  and the full path) is switched off, also for `flask --app survey run`.
- Staff actions are logged as JSON lines with the staff id; public routes log nothing
  about the person.
"""
from __future__ import annotations

import json
import logging
import sys
import time

from flask import g, request

logger = logging.getLogger("survey")
access_logger = logging.getLogger("survey.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        extra = getattr(record, "fields", None)
        if extra:
            payload.update(extra)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def _silence_werkzeug_request_log() -> None:
    from werkzeug.serving import WSGIRequestHandler

    if getattr(WSGIRequestHandler, "_survey_quiet", False):
        return

    def log_request(self, code="-", size="-"):  # noqa: ARG001 - signature of the base class
        return None

    WSGIRequestHandler.log_request = log_request
    WSGIRequestHandler._survey_quiet = True


def init_app(app) -> None:
    _silence_werkzeug_request_log()
    if not logger.handlers and not app.config.get("TESTING"):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
        # huey's warnings and errors (a periodic task's lock held, a task it could not run) in
        # the same form; its info lines (every task and every minute's sweep) would bury ours.
        # Its tasks carry wave ids only.
        huey_logger = logging.getLogger("huey")
        if not huey_logger.handlers:
            huey_logger.addHandler(handler)
            huey_logger.setLevel(logging.WARNING)
            huey_logger.propagate = False

    @app.before_request
    def _start_timer():
        g._t0 = time.perf_counter()

    @app.after_request
    def _access_log(response):
        rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        ms = (time.perf_counter() - g.get("_t0", time.perf_counter())) * 1000
        access_logger.info(
            "%s %s %s", request.method, rule, response.status_code,
            extra={"fields": {"method": request.method, "route": rule,
                              "status": response.status_code, "ms": round(ms, 1)}},
        )
        return response


def staff_event(action: str, **fields) -> None:
    """A structured log line for a staff action (who did what, never case content)."""
    logger.info(action, extra={"fields": {"action": action, **fields}})
