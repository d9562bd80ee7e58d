"""Time `responses import` of N synthetic rows (default 100 000) into a throw-away SQLite
instance. Prints figures; asserts nothing.

    .venv/bin/python bench/import_responses.py [N]
"""
from __future__ import annotations

import csv
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from survey import create_app  # noqa: E402
from survey.db import Base  # noqa: E402
from survey.demo_data import respondent  # noqa: E402
from tests.conftest import base_test_config  # noqa: E402

COLUMNS = ["org", "q4b", "q11d", "q11e", "q13a", "q13b", "q13c", "q14a", "q14b", "q14c", "q14d", "q17a", "q17b",
           "q15", "q16a", "q16b", "q16c", "q25e", "q25f", "sex", "gender_identity", "age_band", "ethnicity",
           "sexual_orientation", "religion", "disability", "reasonable_adjustments", "staff_group"]


def main(n: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    (tmp / "instance").mkdir()
    app = create_app(base_test_config(tmp))
    Base.metadata.create_all(app.extensions["survey.engine"])
    runner = app.test_cli_runner()
    orgs = tmp / "orgs.csv"
    orgs.write_text("code,name,level,parent_code\nICS,ICS,ics,\nPL,Place,place,ICS\nPCN,PCN,pcn,PL\n"
                    + "".join(f"GP{i},Practice {i},practice,PCN\n" for i in range(20)))
    with app.app_context():
        runner.invoke(args=["orgs", "import", str(orgs)])
        runner.invoke(args=["waves", "create", "--survey", "staff-experience", "--name", "Bench", "--orgs", "ICS",
                            "--opens", "2024-01-01", "--closes", "2024-01-31"])
        rng = random.Random(1)
        data = tmp / "responses.csv"
        with data.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            for i in range(n):
                answers = respondent(rng)
                writer.writerow([f"GP{i % 20}"] + [";".join(v) if isinstance(v, list) else v or ""
                                                   for v in (answers.get(c) for c in COLUMNS[1:])])
        started = time.perf_counter()
        result = runner.invoke(args=["responses", "import", str(data), "--wave", "Bench"])
        took = time.perf_counter() - started
    print(result.output.strip())
    print(f"{n} rows imported in {took:.1f} s ({n / took:,.0f} rows/s); file {data.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
