"""Configuration: defaults -> instance/config.py -> SURVEY_* environment -> test mapping.

Secrets are never defaulted. Outside testing the app refuses to start without them and
says to run `flask --app survey init`, which writes them to instance/config.py (mode 0600).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

REQUIRED_SECRETS = ("SECRET_KEY", "TOKEN_PEPPER", "ACCESS_KEY_PEPPER")


class Defaults:
    # Database: SQLite in the instance folder unless SURVEY_DATABASE_URL names another.
    DATABASE_URL: str | None = None
    # Encryption keys (Fernet, newest first). Kept outside the database: instance/keys.json
    # or SURVEY_ENCRYPTION_KEYS (comma separated).
    ENCRYPTION_KEYS: list[str] | None = None

    # Disclosure control
    MIN_CELL = 11            # a group's base under this is suppressed (never below 5)
    COUNT_RULE_K = 0         # suppress counts/complements in 1..k (0 = off)
    PROTECTION_LEVEL = 2     # a suppressed cell's feasible interval must be at least this wide

    # Responses carry the date at this resolution: "day" or "week" (ISO week, Monday).
    RESPONSE_DATE_RESOLUTION = "day"

    # Speak up
    GUARDIAN_ACK_WORKING_DAYS = 2
    GUARDIAN_HOLIDAYS: list[str] = []   # ISO dates that are not working days (bank holidays)
    RETENTION_MONTHS = 12
    SPEAKUP_RETURN_MIN_COUNT = 3     # counts 1..k in the quarterly return are suppressed
    GUARDIAN_CONTACTS: dict[str, str] = {}   # org code -> "Name, how to reach them"
    DEFAULT_GUARDIAN_CONTACT = "Your organisation's Freedom to Speak Up guardian"
    # Where else someone can go, on the speak-up page: [name, what they do and how to reach them].
    SPEAKUP_ELSEWHERE: list[list[str]] = [
        ["Your line manager or practice manager", "If you feel able to, you can raise a concern with them openly at any time."],
        ["Protect", "The whistleblowing charity: free, confidential legal advice on speaking up. protect-advice.org.uk, 020 3117 2520."],
        ["Care Quality Commission (CQC)", "If your concern is about the safety or quality of care. cqc.org.uk, 03000 616161."],
        ["NHS England", "A prescribed person for whistleblowing about GP services. england.nhs.uk, 0300 311 22 33."],
        ["National Guardian's Office", "Supports Freedom to Speak Up guardians and publishes guidance for workers; it does not look into individual concerns. nationalguardian.org.uk."],
    ]
    # Where the survey's thank-you page sends someone who needs support (after questions on
    # violence, harassment and discrimination): [name, how to reach it], after the guardian.
    SUPPORT_CONTACTS: list[list[str]] = [
        ["Occupational health", "Your organisation's occupational health service. Your practice manager or HR can tell you how to reach it."],
        ["Employee assistance programme", "Free, confidential advice and counselling, if your employer provides one. Your staff handbook or intranet has the number."],
    ]
    # The new reference and key stay on the page (in that browser's session cookie, encrypted)
    # until the person ticks "I have saved", for at most this long.
    SPEAKUP_KEY_SHOWN_SECONDS = 15 * 60

    # Slow hashing (argon2id). Tests swap in cheap parameters.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536   # KiB
    ARGON2_PARALLELISM = 1

    # Rate limits, shared between processes through Redis when REDIS_URL is set.
    REDIS_URL: str | None = None
    RATELIMIT_FOLLOWUP = "10/hour"        # wrong keys per case reference before each further one costs more
    RATELIMIT_FOLLOWUP_HOT_COST = 5       # ... this many of its client's attempts (the right key is never refused)
    RATELIMIT_FOLLOWUP_CLIENT = "20/hour"  # per client (a keyed hash held only in memory/Redis)
    RATELIMIT_SPEAKUP_SUBMIT = "10/hour"
    RATELIMIT_STAFF_LOGIN = "10/15minutes"         # per account
    RATELIMIT_STAFF_LOGIN_CLIENT = "30/15minutes"  # per client, whatever addresses it tries

    # Background jobs (survey/jobs.py, huey). JOBS_URL unset: a queue in instance/jobs.db
    # (SQLite, one host); "redis://host:6379/1": Redis, shared by workers on every host.
    JOBS_URL: str | None = None
    JOBS_NAME = "survey"     # the queue's name: two services sharing one Redis need different ones
    # A consumer in threads of this process: "auto" = only under `flask --app survey run`
    # (the demo server), never under gunicorn; production runs `flask --app survey worker`.
    JOBS_IN_PROCESS: bool | str = "auto"
    # The worker schedules maintenance, purge and guardian notifications itself; set False
    # to run them from cron instead (docs/deploy.md, section 7).
    JOBS_PERIODIC_MAINTENANCE = True
    RELEASE_BUILD_LEASE_SECONDS = 120   # a build's claim lapses this long after its worker stops
    RELEASE_BUILD_RETRY_SECONDS = 60    # pause before trying a failed build again
    RELEASE_BUILD_ATTEMPTS = 3          # attempts in all, killed ones included, then it stops

    # Email to guardians (off unless MAIL_SERVER is set). Never to the person who spoke up.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_FROM = "ftsu-noreply@localhost"
    # The public address in links the app prints or e-mails. Unset: pages use the address
    # they were reached at, and commands (which cannot know it) DEFAULT_BASE_URL, or --base-url.
    BASE_URL: str | None = None

    PROXY_COUNT = 0          # number of trusted proxies in front (sets scheme/host only)
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False   # set True behind HTTPS (the deployment guide does)
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 8
    WTF_CSRF_TIME_LIMIT = None      # a survey may take a while; the token is bound to the session
    # Flask-WTF's "SSL strict" check refuses any POST over HTTPS without a matching Referer,
    # and Referrer-Policy: no-referrer (links carry tokens) means browsers never send one:
    # every form would fail behind TLS. The CSRF token, SameSite=Lax cookies and HSTS remain.
    WTF_CSRF_SSL_STRICT = False
    SERVICE_NAME = "Staff voice"
    DEMO = False


DEFAULT_BASE_URL = "http://localhost:5000"     # `flask --app survey run`'s own address


def base_url(config, request=None) -> str:
    """Where links point: BASE_URL if set, else the address this request came to, else
    http://localhost:5000 (a command has no request)."""
    if config.get("BASE_URL"):
        return str(config["BASE_URL"]).rstrip("/")
    if request is not None:
        return request.url_root.rstrip("/")
    return DEFAULT_BASE_URL


def default_instance_path() -> Path:
    env = os.environ.get("SURVEY_INSTANCE_PATH")
    if env:
        return Path(env).resolve()
    return (Path(__file__).resolve().parent.parent / "instance")


def missing_secrets(config) -> list[str]:
    return [name for name in REQUIRED_SECRETS if not config.get(name)]


def check_secrets(config) -> None:
    missing = missing_secrets(config)
    if missing:
        raise RuntimeError(
            "Missing secrets: " + ", ".join(missing)
            + ". Run `flask --app survey init` to create an instance folder with fresh secrets,"
              " or set SURVEY_" + missing[0] + " in the environment."
        )
    if config["TOKEN_PEPPER"] == config["ACCESS_KEY_PEPPER"]:
        raise RuntimeError("TOKEN_PEPPER and ACCESS_KEY_PEPPER must differ; generate fresh ones with `flask --app survey init`.")
    if int(config["MIN_CELL"]) < 5:
        raise RuntimeError(f"MIN_CELL is {config['MIN_CELL']}; it may not be below 5.")


def fresh_instance_config() -> str:
    """Text of a new instance/config.py with freshly generated secrets."""
    return (
        "# Generated by `flask --app survey init`. Keep this file private (mode 0600).\n"
        f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
        f"TOKEN_PEPPER = {secrets.token_hex(32)!r}\n"
        f"ACCESS_KEY_PEPPER = {secrets.token_hex(32)!r}\n"
    )
