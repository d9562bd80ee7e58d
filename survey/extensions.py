"""Per-app services built from configuration: key ring, hashers, rate limiter.

Accessors (`keyring()`, `access_key_hasher()`, ...) read them from `current_app`, so an
operation can be called from a view, the CLI or a test inside an app context.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_wtf import CSRFProtect

from survey.crypto import KeyRing, SlowHasher, SlowHashParams, load_keys_file, token_hash
from survey.ratelimit import RateLimiter

csrf = CSRFProtect()


def keys_path(app) -> Path:
    return Path(app.instance_path) / "keys.json"


def _load_keys(app) -> list[str]:
    configured = app.config.get("ENCRYPTION_KEYS")
    if isinstance(configured, str):
        configured = [k.strip() for k in configured.split(",") if k.strip()]
    return list(configured or load_keys_file(keys_path(app)))


def init_app(app) -> None:
    csrf.init_app(app)
    app.extensions["survey.keys"] = _load_keys(app)
    app.extensions["survey.keyring"] = None
    params = SlowHashParams(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"], app.config["ARGON2_PARALLELISM"])
    app.extensions["survey.hash_params"] = params
    app.extensions["survey.hashers"] = {}
    app.extensions["survey.ratelimiter"] = RateLimiter(app.config.get("REDIS_URL"), app.config["SECRET_KEY"] or "")


def reload_keys(app) -> None:
    app.extensions["survey.keys"] = _load_keys(app)
    app.extensions["survey.keyring"] = None


def keyring() -> KeyRing:
    ring = current_app.extensions.get("survey.keyring")
    if ring is None:
        ring = KeyRing(current_app.extensions["survey.keys"])
        current_app.extensions["survey.keyring"] = ring
    return ring


def _hasher(name: str, pepper_key: str) -> SlowHasher:
    hashers = current_app.extensions["survey.hashers"]
    if name not in hashers:
        hashers[name] = SlowHasher(current_app.config[pepper_key], current_app.extensions["survey.hash_params"])
    return hashers[name]


def access_key_hasher() -> SlowHasher:
    return _hasher("access_key", "ACCESS_KEY_PEPPER")


def password_hasher() -> SlowHasher:
    # Same pepper and parameters as access keys; they live in different columns.
    return _hasher("access_key", "ACCESS_KEY_PEPPER")


def hash_token(token: str) -> str:
    return token_hash(current_app.config["TOKEN_PEPPER"], token)


def ratelimiter() -> RateLimiter:
    return current_app.extensions["survey.ratelimiter"]
