"""The answering page keeps each question's rendered radios/checkboxes per process
(survey.respond.journey._choice_field): what it serves must be what the macro renders,
for the definition in hand, and nothing a form posted may fill the cache."""
from __future__ import annotations

from flask import render_template_string

from survey.respond import journey
from survey.respond.journey import _FIELDS, _choice_field
from tests.conftest import post_form
from tests.respond_support import definition, fresh_client, make_token, make_wave

MACRO = ("{% import 'macros/forms.html' as f %}{{ f.choices(kind, q.id, q.text, options, value, hint=hint, "
         "error=error, size='s') }}")


def _macro(q, value, hint=None, error=None):
    kind = "checkboxes" if q.type.value == "multiple" else "radios"
    return render_template_string(MACRO, kind=kind, q=q, options=[(o.code, o.label) for o in q.options], value=value,
                                  hint=hint, error=error)


def test_kept_fields_are_what_the_macro_renders(app):
    defn = definition()
    q16c, q14a = defn.question("q16c"), defn.question("q14a")
    with app.test_request_context():
        for q, value in ((q14a, None), (q14a, "3"), (q16c, ["1", "5"]), (q16c, None)):
            first = _choice_field(defn, q, value, "A hint.", None)
            again = _choice_field(defn, q, value, "A hint.", None)
            assert again is first                                # kept
            assert str(first) == str(_macro(q, value, "A hint."))
        assert 'value="3" checked' in str(_choice_field(defn, q14a, "3", None, None))
        with_error = _choice_field(defn, q14a, None, None, "Select an answer")
        assert "nhsuk-form-group--error" in str(with_error) and "Select an answer" in str(with_error)


def test_a_new_definition_object_starts_afresh(app):
    with app.test_request_context():
        old, new = definition(), definition()
        _choice_field(old, old.question("q14a"), None, None, None)
        _choice_field(new, new.question("q14a"), None, None, None)
        assert _FIELDS[id(new)][0] is new and _FIELDS[id(old)][0] is old


def test_posted_values_that_are_not_codes_are_not_kept(app):
    defn = definition()
    q = defn.question("q14a")
    with app.test_request_context():
        _choice_field(defn, q, "3", None, None)
        html = _choice_field(defn, q, "not-a-code" * 100, None, "Select one")
        assert "not-a-code" not in str(html)                     # rendered, nothing checked
        kept = _FIELDS[id(defn)][2]
        assert (q.id, ("3",), None) in kept
        assert not any("not-a-code" in str(k) for k in kept)


def test_page_shows_saved_answers_through_the_kept_fields(app, db):
    wave, org = make_wave(db)
    token = make_token(db, wave, org)
    client = fresh_client(app)
    client.get(f"/respond/t/{token}")
    assert 'value="4" checked' not in client.get("/respond/page/3").get_data(as_text=True)
    post_form(client, "/respond/page/3", {"q14a": "4"})
    html = client.get("/respond/page/3").get_data(as_text=True)
    assert 'name="q14a" type="radio" value="4" checked' in html
    assert html.count(" checked") == 1
    assert journey._FIELDS                                       # served from the cache
