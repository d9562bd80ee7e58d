"""survey.analysis is pure: importing it loads neither Flask nor SQLAlchemy nor the ORM."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# The parent package `survey` builds the Flask app in its __init__, so the check loads the
# analysis package under a bare parent: it proves that nothing in survey.analysis (or what it
# imports) pulls Flask, SQLAlchemy, survey.db or survey.models in.
SCRIPT = f"""
import sys, types
pkg = types.ModuleType("survey"); pkg.__path__ = [{str(ROOT / 'survey')!r}]
sys.modules["survey"] = pkg
import survey.analysis as a
a.load_indicators(); a.load_dimensions(); a.load_benchmarks()
bad = sorted(m for m in sys.modules if m.split(".")[0] in ("flask", "sqlalchemy", "werkzeug", "alembic")
             or m in ("survey.db", "survey.models", "survey.extensions") or m.startswith("survey.models."))
print("BAD", bad)
"""


def test_analysis_imports_no_flask_and_no_orm():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "BAD []" in out.stdout, out.stdout


def test_no_import_of_the_app_in_the_source():
    for path in (ROOT / "survey" / "analysis").glob("*.py"):
        imports = [line.strip() for line in path.read_text().splitlines()
                   if line.strip().startswith(("import ", "from "))]
        for line in imports:
            for banned in ("flask", "sqlalchemy", "survey.db", "survey.models", "survey.extensions"):
                assert banned not in line, f"{path.name}: {line}"
