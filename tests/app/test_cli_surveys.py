"""`surveys list` and `surveys check FILE`."""
from __future__ import annotations


def test_list_shows_shipped_and_instance_surveys(app, runner, tmp_path):
    folder = tmp_path / "instance" / "surveys"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mine.yaml").write_text("id: mine\ntitle: My survey\nversion: '1'\nsections:\n"
                                      "  - {id: a, title: A, questions: [q15]}\n")
    result = runner.invoke(args=["surveys", "list"])
    assert result.exit_code == 0, result.output
    for sid in ("staff-experience", "racial-discrimination", "bullying-harassment", "equal-opportunities", "mine"):
        assert sid in result.output
    assert "My survey" in result.output


def test_list_reports_a_broken_instance_file(app, runner, tmp_path):
    folder = tmp_path / "instance" / "surveys"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "broken.yaml").write_text("id: broken\ntitle: B\nversion: '1'\nsections: nope\n")
    result = runner.invoke(args=["surveys", "list"])
    assert result.exit_code == 1
    assert "staff-experience" in result.output
    assert "surveys/broken.yaml: sections: expected a list of sections, got a string" in result.output


def test_check(runner, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("id: good\ntitle: G\nversion: '1'\nsections:\n  - {id: a, title: A, questions: [q11d, q11e]}\n")
    result = runner.invoke(args=["surveys", "check", str(good)])
    assert result.exit_code == 0 and "OK" in result.output and "2 questions" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\ntitle: B\nversion: '1'\nsections:\n  - {id: a, title: A, questions: [q11e, q11d]}\n")
    result = runner.invoke(args=["surveys", "check", str(bad)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"{bad}: sections[0].questions[0]: 'q11e' comes from the question bank, where it is asked only if "
            "q11d is 1; 'q11d' comes later in this survey: move it before 'q11e'") in result.output


def test_check_reports_every_problem_with_its_path(runner, tmp_path):
    """Issue 21 item 21: only the first problem of a broken definition was reported."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: Broken Survey\n"
        "title: A broken survey\n"
        "colour: blue\n"
        "sections:\n"
        "  - id: one\n"
        "    title: One\n"
        "    questions:\n"
        "      - q11d\n"
        "      - q99z\n"
        "      - id: mood\n"
        "        type: single\n"
        "        text: How are you?\n"
        "        options: [{code: 1, label: Fine}, {code: 1, label: Not fine}]\n"
        "      - id: later\n"
        "        type: single\n"
        "        text: Asked when?\n"
        "        options: [{code: 1, label: Now}]\n"
        "        show_if: {question: q11d, codes: [7]}\n"
        "  - id: two\n"
        "    questions: []\n")
    result = runner.invoke(args=["surveys", "check", str(broken)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    out = result.output
    expected = [f"{broken}: colour: unknown key 'colour'", f"{broken}: id: expected a survey id",
                f"{broken}: version: expected text", f"{broken}: sections[0].questions[1]: unknown question 'q99z'",
                f"{broken}: sections[0].questions[2].options", f"{broken}: sections[0].questions[3].show_if: routing code '7'",
                f"{broken}: sections[1].title: expected text", f"{broken}: sections[1].questions: expected a list of questions"]
    for line in expected:
        assert line in out, (line, out)
    assert f"{len(expected)} problems found" in out, out
