"""Gunicorn settings for production (docs/deploy.md explains each choice).

    gunicorn -c gunicorn.conf.py

The app keeps no state in its processes, so run as many workers and hosts as needed
behind one TLS proxy and one PostgreSQL; rate limits are shared through Redis.
"""
import gc
import multiprocessing
import os

wsgi_app = "survey:create_app()"
bind = os.environ.get("SURVEY_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SURVEY_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "sync"
# No request runs long work: a wave's results (the exact disclosure audit, a minute or two
# nationally) are built by `flask --app survey worker` (survey/jobs.py), so a request
# that takes 30 s is stuck and its worker is replaced.
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 2000          # recycle workers now and then
# Load the app (and pandas, for results) once in the master; workers fork with it, so a
# recycled worker starts in milliseconds rather than re-importing for a second.
preload_app = True
max_requests_jitter = 200
limit_request_line = 4096
limit_request_fields = 50

# No gunicorn access log: it would record client addresses, user agents and full paths
# (which can hold invitation tokens). The app writes its own request log with the route
# pattern only (survey/logs.py). Errors go to stderr.
accesslog = None
errorlog = "-"
loglevel = "info"
capture_output = False

# Only the local TLS proxy may set X-Forwarded-Proto (Secure cookies, HSTS).
forwarded_allow_ips = os.environ.get("SURVEY_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    """No database connection may cross a fork: give each worker a fresh pool."""
    app = worker.app.wsgi()
    engine = app.extensions.get("survey.engine")
    if engine is not None:
        engine.dispose(close=False)


def when_ready(server):
    """Compile every template in the master before the first fork: each worker, and each
    one max_requests recycles, then starts with them instead of spending its first
    requests (some 50 ms of CPU, and the requests queued behind them) compiling."""
    app = server.app.wsgi()
    env = app.jinja_env
    for name in env.list_templates(extensions=("html",)):
        env.get_template(name)
    # Everything loaded so far lives as long as the master: keep the collector in the
    # workers from walking it (and so copying every page of it after the fork).
    gc.freeze()
