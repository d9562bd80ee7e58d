"""`init`: create the instance folder with fresh secrets and keys, and migrate the database."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from survey.config import fresh_instance_config
from survey.crypto import KeyRing, load_keys_file, write_keys_file
from survey.extensions import keys_path, reload_keys
from survey import migrate


def write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def ensure_instance(app) -> list[str]:
    """Create what is missing in the instance folder; return what was done."""
    done = []
    inst = Path(app.instance_path)
    inst.mkdir(parents=True, exist_ok=True)
    os.chmod(inst, 0o700)
    (inst / "surveys").mkdir(exist_ok=True)
    cfg = inst / "config.py"
    if not cfg.exists():
        write_private(cfg, fresh_instance_config())
        app.config.from_pyfile(str(cfg))
        done.append(f"wrote {cfg} with fresh secrets (mode 0600)")
    kp = keys_path(app)
    if not app.config.get("ENCRYPTION_KEYS") and not load_keys_file(kp):
        write_keys_file(kp, [KeyRing.generate_key()])
        reload_keys(app)
        done.append(f"wrote {kp} with a new encryption key (mode 0600)")
    migrate.upgrade(app.config["DATABASE_URL"])
    done.append("database migrated to the latest revision")
    return done


@click.command("init")
@with_appcontext
def init_command():
    """Create the instance folder (secrets, keys) and migrate the database."""
    for line in ensure_instance(current_app):
        click.echo(line)


commands = [init_command]
