"""Backups and restores as docs/deploy.md describes them, for an SQLite instance.

The database and the keys are backed up SEPARATELY: the database with SQLite's online
backup API (consistent while the app runs), the instance's config.py (secrets, peppers)
and keys.json (encryption keys) as files to a different place. A restore puts the three
into a new instance folder; a concern (found by its reference and access key) and a survey
comment read back. The database backup alone reads nothing: with other keys, the text
cannot be decrypted.
"""
from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from survey import create_app
from survey.concerns import ConcernInput, find_case_by_key, raise_concern
from survey.crypto import KeyRing, KeyRingError, write_keys_file
from survey.extensions import access_key_hasher, keyring, ratelimiter
from survey.models import Comment
from tests.db.gunicorn_support import ROOT, VENV_BIN, clean_env
from tests.respond_support import make_wave

CONCERN = "The sharps bin in room 3 is overflowing"
COMMENT = "Our team huddles have really helped"


def _app(instance: Path):
    # the instance's own config.py and keys.json; TESTING only keeps log handlers quiet
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance)})
    return app


def _init(instance: Path) -> None:
    out = subprocess.run([str(VENV_BIN / "flask"), "--app", "survey", "init"], cwd=ROOT,
                         env=clean_env(SURVEY_INSTANCE_PATH=str(instance)), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def backup(instance: Path, db_dest: Path, key_dest: Path) -> None:
    """What the nightly backup does: the database online, the secrets to elsewhere."""
    db_dest.mkdir(parents=True)
    key_dest.mkdir(parents=True)
    src = sqlite3.connect(instance / "survey.db")
    dst = sqlite3.connect(db_dest / "survey.db")
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    for name in ("config.py", "keys.json"):
        shutil.copy2(instance / name, key_dest / name)


def restore(db_src: Path, key_src: Path, instance: Path) -> None:
    instance.mkdir(mode=0o700, parents=True)
    shutil.copy2(db_src / "survey.db", instance / "survey.db")
    for name in ("config.py", "keys.json"):
        shutil.copy2(key_src / name, instance / name)
        (instance / name).chmod(0o600)


@pytest.fixture
def live_instance(tmp_path):
    instance = tmp_path / "live" / "instance"
    _init(instance)
    app = _app(instance)
    with app.app_context():
        db = app.extensions["survey.sessionmaker"]()
        case = raise_concern(db, keyring(), access_key_hasher(), ConcernInput(text=CONCERN, elements=["patient_safety"], anonymous=True))
        wave, org = make_wave(db)
        db.add(Comment(wave_id=wave.id, org_id=org.id, question_id="comment", body=keyring().encrypt(COMMENT)))
        db.commit()
        db.close()
    app.extensions["survey.engine"].dispose()
    return instance, case.reference, case.access_key


def test_backup_and_restore_to_a_new_folder(tmp_path, live_instance):
    instance, reference, key = live_instance
    backup(instance, tmp_path / "backups" / "db", tmp_path / "vault" / "keys")
    assert not (tmp_path / "backups" / "db" / "keys.json").exists()          # kept apart
    assert CONCERN.encode() not in (tmp_path / "backups" / "db" / "survey.db").read_bytes()

    restored = tmp_path / "restored" / "instance"
    restore(tmp_path / "backups" / "db", tmp_path / "vault" / "keys", restored)
    app = _app(restored)
    with app.app_context():
        db = app.extensions["survey.sessionmaker"]()
        concern = find_case_by_key(db, access_key_hasher(), ratelimiter(), reference, key, "restore-test", "10/hour", "10/hour")
        assert keyring().decrypt(concern.text) == CONCERN
        assert [keyring().decrypt(c.body) for c in db.scalars(select(Comment))] == [COMMENT]
        db.close()
    app.extensions["survey.engine"].dispose()


def test_the_database_backup_alone_reads_nothing(tmp_path, live_instance):
    instance, reference, key = live_instance
    backup(instance, tmp_path / "backups" / "db", tmp_path / "vault" / "keys")
    stolen = tmp_path / "stolen" / "instance"
    restore(tmp_path / "backups" / "db", tmp_path / "vault" / "keys", stolen)
    write_keys_file(stolen / "keys.json", [KeyRing.generate_key()])     # without the real keys
    (stolen / "keys.json").chmod(0o600)
    app = _app(stolen)
    with app.app_context():
        db = app.extensions["survey.sessionmaker"]()
        comment = db.scalars(select(Comment)).one()
        with pytest.raises(KeyRingError):
            keyring().decrypt(comment.body)
        db.close()
    app.extensions["survey.engine"].dispose()
