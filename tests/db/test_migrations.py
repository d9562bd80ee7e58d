"""Every revision upgrades an empty database to exactly the models; downgrade and upgrade again."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from survey import migrate
from survey.db import Base
import survey.models  # noqa: F401

PG_URL = os.environ.get("SURVEY_TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite"] + (["postgresql"] if PG_URL else []))
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    name = f"survey_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _diff(url):
    engine = create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    return diff


def test_upgrade_from_empty_matches_models(empty_url):
    migrate.upgrade(empty_url)
    assert _diff(empty_url) == []


def test_each_revision_downgrades_and_upgrades(empty_url):
    script = ScriptDirectory.from_config(migrate.alembic_config(empty_url))
    revisions = list(reversed(list(script.walk_revisions())))
    for rev in revisions:
        migrate.upgrade(empty_url, rev.revision)
        migrate.downgrade(empty_url, rev.down_revision or "base")
        migrate.upgrade(empty_url, rev.revision)
    assert _diff(empty_url) == []
    engine = create_engine(empty_url)
    assert set(inspect(engine).get_table_names()) >= {"responses", "invitations", "concerns", "audit_events"}
    engine.dispose()
