"""Bad files: whatever an organisation CSV, a response CSV or a survey YAML holds, the
command answers with one clear line (exit 1) or does its work (exit 0): never a traceback,
and a refused file stores nothing. The loader raises DefinitionError naming the file, and
nothing else. (The admin pages' uploads are fuzzed in test_admin_fuzz.py.)
"""
from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from survey.definitions.loader import load_definition
from survey.definitions.yamlfile import DefinitionError
from survey.models import Organisation, Response

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_names = itertools.count()

cell = st.one_of(st.sampled_from(["", "1", "01", "19", "GP1", "GP2", "ICS1", "practice", "pcn", "place", "ics",
                                  "nope", "1;5", "\x00", "\u202e", "=cmd|' /C calc'!A0", '"quoted, cell"']),
                 st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=10))
rows = st.lists(st.lists(cell, max_size=8), max_size=6)


def csv_body(header: str):
    return st.one_of(
        st.binary(max_size=400),
        rows.map(lambda rs: header + "\n" + "\n".join(",".join(r) for r in rs)),
        rows.map(lambda rs: "\n".join(",".join(r) for r in rs)),
        st.text(max_size=300),
        st.sampled_from([b"\xef\xbb\xbf" + header.encode() + b"\nGP1,1\n", header.encode("utf-16") + b"\n",
                         header.encode() + b"\n\xff\xfe\x00\x01\n", b"", b"\n\n\n", header.encode() + b"\n" + b"x," * 5000]),
    )


def write(tmp_path, body, suffix: str):
    path = tmp_path / f"upload-{next(_names)}{suffix}"
    path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass"))
    return path


def assert_clean(result) -> None:
    assert result.exit_code in (0, 1), (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        assert result.output.startswith("Error: ") and len(result.output.strip()) > len("Error: "), result.output


ORGS = "code,name,level,parent_code\nICS1,Example ICS,ics,\nPL1,North place,place,ICS1\nPCN1,North PCN,pcn,PL1\nGP1,Alpha,practice,PCN1\nGP2,Beta,practice,PCN1\n"


@SETTINGS
@given(body=csv_body("code,name,level,parent_code"))
def test_organisation_csv(runner, db, tmp_path, body):
    db.rollback()
    before = db.scalar(select(func.count()).select_from(Organisation))
    result = runner.invoke(args=["orgs", "import", str(write(tmp_path, body, ".csv"))])
    assert_clean(result)
    if result.exit_code == 1:
        db.rollback()
        assert db.scalar(select(func.count()).select_from(Organisation)) == before   # all or nothing


@pytest.fixture
def wave(runner, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_text(ORGS)
    assert runner.invoke(args=["orgs", "import", str(path)]).exit_code == 0
    result = runner.invoke(args=["waves", "create", "--survey", "staff-experience", "--name", "Paper 2023",
                                 "--orgs", "GP1,GP2", "--opens", "2023-10-02", "--closes", "2023-11-24"])
    assert result.exit_code == 0, result.output
    return "Paper 2023"


@SETTINGS
@given(body=csv_body("org,q14a,q15,q16c,ethnicity,disability,comments"))
def test_response_csv(runner, db, wave, tmp_path, body):
    db.rollback()
    before = db.scalar(select(func.count()).select_from(Response))
    result = runner.invoke(args=["responses", "import", str(write(tmp_path, body, ".csv")), "--wave", wave, "--append"])
    assert_clean(result)
    if result.exit_code == 1:
        db.rollback()
        assert db.scalar(select(func.count()).select_from(Response)) == before


yaml_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                        st.sampled_from(["single", "multiple", "scale", "free_text", "q14a", "q16c", "\x00", "*ref", "&a"]))
yaml_tree = st.recursive(yaml_scalar, lambda children: st.lists(children, max_size=4) | st.dictionaries(
    st.sampled_from(["id", "title", "version", "sections", "questions", "type", "options", "show_if", "code", "label",
                     "ref", "text", "required", "demographic", "max_length", "description"]), children, max_size=5),
    max_leaves=20)


def yaml_body():
    import yaml
    return st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300),
        yaml_tree.map(lambda t: yaml.safe_dump(t, allow_unicode=True)),
        yaml_tree.map(lambda t: yaml.safe_dump({"id": "fuzz", "title": "Fuzz", "version": "1", "sections": t})),
        st.sampled_from([b"a: &a [*a]", b"x: !!python/object/apply:os.system ['true']", b"{" * 200, b"- " * 3000,
                         b"\xff\xfe" + "id: x".encode("utf-16-le"), b"id: x\n\x00\n"]),
    )


@SETTINGS
@given(body=yaml_body())
def test_survey_yaml_through_the_loader(tmp_path, body):
    path = write(tmp_path, body, ".yaml")
    try:
        load_definition(path, display="fuzz.yaml")
    except DefinitionError as exc:
        assert "fuzz.yaml" in str(exc) and exc.problem
    # any other exception fails the test


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=yaml_body())
def test_survey_yaml_through_the_cli(runner, tmp_path, body):
    assert_clean(runner.invoke(args=["surveys", "check", str(write(tmp_path, body, ".yaml"))]))
