"""Development only, until the first production deployment: rewrite revision 0001 from
the models. After the first release, schema changes get their own revisions instead.

    .venv/bin/python migrations/regenerate_initial.py
"""
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command  # noqa: E402

from survey.migrate import alembic_config  # noqa: E402

versions = Path(__file__).resolve().parent / "versions"
for old in versions.glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    url = f"sqlite:///{os.path.join(tmp, 'autogen.db')}"
    command.revision(alembic_config(url), message="initial schema", autogenerate=True, rev_id="0001")
