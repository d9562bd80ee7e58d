"""`flask --app survey keys list|rotate|retire`: the encryption keys in instance/keys.json.

rotate: add a new key (written to keys.json first, so nothing is ever encrypted under a
        key that is not on disk), then re-encrypt every encrypted column under it in one
        transaction. Old keys stay until `retire`, so app processes still running with
        the old ring can read what they wrote; restart them, then retire.
retire: re-encrypt again under the newest key (catching anything written meanwhile),
        then remove every older key from keys.json.
"""
from __future__ import annotations

import hashlib

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.concerns.rekey import reencrypt_all
from survey.crypto import KeyRing, KeyRingError, load_keys_file, write_keys_file
from survey.db import session_scope
from survey.extensions import keyring, keys_path, reload_keys


def fingerprint(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _file_keys() -> list[str]:
    if current_app.config.get("ENCRYPTION_KEYS"):
        raise click.ClickException(
            "The keys come from SURVEY_ENCRYPTION_KEYS or the config, not instance/keys.json: "
            "rotate them there (put a new Fernet key first), restart, then run `keys rotate --only-reencrypt`.")
    keys = load_keys_file(keys_path(current_app))
    if not keys:
        raise click.ClickException(f"No keys in {keys_path(current_app)}: run `flask --app survey init` first.")
    return keys


def _reencrypt() -> dict[str, int]:
    try:
        with session_scope() as session:
            return reencrypt_all(session, keyring())
    except KeyRingError as exc:
        raise click.ClickException(f"{exc} Nothing was changed.") from None


def _report(counts: dict[str, int]) -> None:
    for label, n in counts.items():
        click.echo(f"  {label}: {n}")
    click.echo(f"  total values re-encrypted: {sum(counts.values())}")


@click.group("keys")
def keys_group():
    """Encryption keys (kept outside the database)."""


@keys_group.command("list")
@with_appcontext
def list_command():
    """How many keys there are and their fingerprints (never the keys)."""
    keys = list(current_app.extensions["survey.keys"])
    click.echo(f"{len(keys)} key(s); the first encrypts, all decrypt.")
    for i, key in enumerate(keys):
        click.echo(f"  {i + 1}. {fingerprint(key)}{'  (newest)' if i == 0 else ''}")


@keys_group.command("rotate")
@click.option("--only-reencrypt", is_flag=True, help="Do not add a key; re-encrypt under the current newest key.")
@with_appcontext
def rotate_command(only_reencrypt: bool):
    """Add a new key and re-encrypt everything under it (one transaction)."""
    if not only_reencrypt:
        keys = _file_keys()
        new = KeyRing.generate_key()
        write_keys_file(keys_path(current_app), [new] + keys)
        reload_keys(current_app)
        click.echo(f"Added key {fingerprint(new)} to {keys_path(current_app)}.")
    counts = _reencrypt()
    click.echo("Re-encrypted under the newest key:")
    _report(counts)
    click.echo("Restart the app so every process uses the new key, then run `flask --app survey keys retire`.")


@keys_group.command("retire")
@with_appcontext
def retire_command():
    """Re-encrypt under the newest key, then remove the older keys from keys.json."""
    keys = _file_keys()
    counts = _reencrypt()
    _report(counts)
    write_keys_file(keys_path(current_app), keys[:1])
    reload_keys(current_app)
    click.echo(f"Removed {len(keys) - 1} old key(s); {fingerprint(keys[0])} remains.")


commands = [keys_group]
