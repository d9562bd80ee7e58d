"""One page per section (routing may split one), check your answers, submit.

Answers are saved to the draft on every Continue. If the database cannot be reached,
the page comes back with status 503 and the person's answers still in the form.
"""
from __future__ import annotations

import re

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.exc import OperationalError

from survey import fixed_url
from survey.answers import (answer_labels, drop_hidden, missing_required, pages, validate_section,
                            visible_page_numbers, visible_questions)
from survey.db import get_session
from survey.errors import render_error
from survey.extensions import keyring
from survey.respond import bp, state, store
from survey.respond.drafts import CHECK, encode
from survey.respond.forms import SubmitForm, csrf_token
from survey.respond.submission import Outcome, submit as submit_response

# Said once under every comment box (a definition's own hint adds only what is particular to it).
FREE_TEXT_HINT = ("Do not write names or anything else that could identify you or someone else. "
                  "Comments are stored encrypted and never shown next to your answers about yourself.")


def _page_or_404(definition, number: int):
    all_pages = pages(definition)
    if not 1 <= number <= len(all_pages):
        return None
    return all_pages[number - 1]


def _neighbours(definition, answers, number: int, shown: list[int] | None = None) -> tuple[int | None, int | None, int, int]:
    """(previous visible page, next visible page, position of this page, visible total);
    `shown`: visible_page_numbers(definition, answers) if the caller has it."""
    if shown is None:
        shown = visible_page_numbers(definition, answers)
    before = [n for n in shown if n < number]
    after = [n for n in shown if n > number]
    position = len(before) + 1
    return (before[-1] if before else None), (after[0] if after else None), position, len(shown)


def _render_page(definition, number: int, values: dict, errors: dict, answers: dict, change: bool,
                 status: int = 200, unavailable: bool = False, shown_ids: list[str] | None = None,
                 shown_pages: list[int] | None = None):
    page = pages(definition)[number - 1]
    if shown_ids is None:
        visible = {q.id for q in visible_questions(definition, {**answers, **values})}
        shown_ids = [q.id for q in page.questions if q.id in visible]
    previous, _next, _position, _total = _neighbours(definition, answers, number, shown_pages)
    # Sections, not pages, are counted: how many pages routing opens depends on answers not
    # given yet, so a page count jumped ("Page 3 of 10", later "Page 7 of 11"); the sections
    # of a survey are fixed.
    section_ids = [s.id for s in definition.sections]
    position, total = section_ids.index(page.id) + 1, len(section_ids)
    back = fixed_url("respond.check") if change else (fixed_url("respond.page", number=previous) if previous else fixed_url("respond.privacy"))
    # The summary names the question; beside the question itself the short form is enough.
    inline = {qid: re.split(r" (?:to|for) “", message)[0] for qid, message in errors.items()}
    hints = {q.id: _hint(q) for q in page.questions}
    fields = {q.id: _choice_field(definition, q, values.get(q.id), hints[q.id], inline.get(q.id))
              for q in page.questions if q.id in shown_ids and q.type.value != "free_text"}
    return render_template(
        "respond/page.html", f=_macros().module, csrf=csrf_token(), page=page, number=number, fields=fields, hints=hints,
        inline=inline, values=values, errors=errors, shown=shown_ids, shown_list=",".join(shown_ids),
        has_demographic=any(q.demographic for q in page.questions),
        has_required=any(q.required for q in page.questions),
        position=position, total=total, back_url=back, change=change,
        unavailable=unavailable, min_cell=current_app.config["MIN_CELL"],
    ), status


def _macros():
    """macros/forms.html, compiled (its macros use nothing from a request's context)."""
    return current_app.jinja_env.get_template("macros/forms.html")


# The radios or checkboxes of one question, as macros/forms.html renders them, by what is
# selected and the error shown: a question and its options never change, so each process
# renders each state once. Per definition object (ids stay unique while it is held) and
# per compiled macros template (a template reloaded in development starts afresh). Free
# text is never kept here: those boxes are rendered for each request.
_FIELDS: dict[int, tuple[object, object, dict]] = {}
_FIELDS_PER_DEFINITION = 4096


def _choice_field(definition, q, value, hint: str | None, error: str | None):
    macros = _macros()
    entry = _FIELDS.get(id(definition))
    if entry is None or entry[0] is not definition or entry[1] is not macros:
        if len(_FIELDS) >= 64:
            _FIELDS.clear()
        entry = _FIELDS[id(definition)] = (definition, macros, {})
    cache = entry[2]
    chosen = tuple(value) if isinstance(value, list) else (value,)
    key = (q.id, chosen, error)
    html = cache.get(key)
    if html is None:
        kind = "checkboxes" if q.type.value == "multiple" else "radios"
        html = macros.module.choices(kind, q.id, q.text, [(o.code, o.label) for o in q.options], value,
                                     hint=hint, error=error, size="s")
        # Only states made of the question's own codes are kept: what a form posted
        # (shown again with an error, or when the database is down) may be anything.
        if all(c is None or c in _codes(q) for c in chosen):
            if len(cache) >= _FIELDS_PER_DEFINITION:
                cache.clear()
            cache[key] = html
    return html


def _codes(q) -> frozenset:
    return frozenset(o.code for o in q.options)


def _hint(q) -> str | None:
    parts = [q.hint] if q.hint else []
    if q.type.value == "multiple" and "all that apply" not in (q.hint or "").lower():
        parts.append("Select all that apply.")
    if q.type.value == "free_text":
        parts.append(FREE_TEXT_HINT)
    if q.required:
        parts.append("You need to answer this question.")
    return " ".join(parts) or None


@bp.route("/page/<int:number>", methods=["GET"])
def page(number: int):
    journey, refusal = state.current()
    if refusal:
        return refusal
    if _page_or_404(journey.definition, number) is None:
        return render_error(404)
    answers = journey.saved or {}
    change = request.args.get("change") == "1"
    definition = journey.definition
    visible = {q.id for q in visible_questions(definition, answers)}
    shown_pages = visible_page_numbers(definition, answers, visible)
    if number not in shown_pages:
        _prev, nxt, _pos, _total = _neighbours(definition, answers, number, shown_pages)
        return redirect(fixed_url("respond.page", number=nxt) if nxt and not change else fixed_url("respond.check"))
    shown_ids = [q.id for q in pages(definition)[number - 1].questions if q.id in visible]
    return _render_page(definition, number, answers, {}, answers, change, shown_ids=shown_ids, shown_pages=shown_pages)


@bp.route("/page/<int:number>", methods=["POST"])
def save_page(number: int):
    # CSRFProtect (survey.extensions) has checked the form's token before this runs.
    change = request.args.get("change") == "1"
    try:
        journey, refusal = state.current()
        if refusal:
            return refusal
        definition = journey.definition
        page_ = _page_or_404(definition, number)
        if page_ is None:
            return render_error(404)
        before = journey.saved or {}
        page_answers, errors = validate_section(definition, page_, request.form, previous=before)
        if errors:
            values = {k: v for k, v in before.items() if k not in {q.id for q in page_.questions}}
            values.update(_posted(page_, request.form))
            return _render_page(definition, number, values, errors, before, change)
        ids = {q.id for q in page_.questions}
        after = {k: v for k, v in before.items() if k not in ids}
        after.update(page_answers)
        after = drop_hidden(definition, after)
        url, reached = _next_url(definition, before, after, number, change)
        if change and journey.reached not in (None, CHECK):
            reached = max(journey.reached, reached) if reached != CHECK else CHECK
        store.save_draft(journey.key, journey.wave_id, encode(keyring(), after, reached), state.today())
    except OperationalError:
        return _unavailable_page(number, change)
    return redirect(url)


def _next_url(definition, before: dict, after: dict, number: int, change: bool) -> tuple[str, int | str]:
    """Where a saved page leads: (address, the page reached, a number or CHECK)."""
    if change:
        # A changed answer may open questions that were skipped: ask them, then check again.
        was = {q.id for q in visible_questions(definition, before)}
        new = [q.id for q in visible_questions(definition, after) if q.id not in was and q.id not in after]
        for n, p in enumerate(pages(definition), start=1):
            if n > number and any(q.id in new for q in p.questions):
                return fixed_url("respond.page", number=n, change=1), n
        return fixed_url("respond.check"), CHECK
    _prev, nxt, _pos, _total = _neighbours(definition, after, number)
    return (fixed_url("respond.page", number=nxt), nxt) if nxt else (fixed_url("respond.check"), CHECK)


def resume_url(definition, answers: dict, reached) -> str:
    """Where "Continue where you left off" goes: the page the last save led to (or the
    visible page after it, if answers changed the route), else the first page."""
    shown = visible_page_numbers(definition, answers)
    if reached == CHECK:
        return fixed_url("respond.check")
    if isinstance(reached, int):
        later = [n for n in shown if n >= reached]
        if later:
            return fixed_url("respond.page", number=later[0])
        return fixed_url("respond.check")
    return fixed_url("respond.page", number=(shown or [1])[0])


def _posted(page_, form) -> dict:
    """What was posted for a page, as typed (to put back in the form)."""
    values = {}
    for q in page_.questions:
        got = form.getlist(q.id)
        if got:
            values[q.id] = got if q.type.value == "multiple" else got[0]
    return values


def _unavailable_page(number: int, change: bool):
    """The database is unreachable: show the page again with what was posted."""
    st = state.state()
    definition = state.cached_definition(st["wave"]) if st else None
    if definition is None or _page_or_404(definition, number) is None:
        return render_error(503)
    page_ = pages(definition)[number - 1]
    shown = [qid for qid in request.form.get("shown", "").split(",") if definition.question(qid)]
    return _render_page(definition, number, _posted(page_, request.form), {}, {}, change, status=503,
                        unavailable=True, shown_ids=shown or [q.id for q in page_.questions])


def _quiet_rollback(db) -> None:
    try:
        db.rollback()
    except OperationalError:
        pass


@bp.route("/check")
def check():
    journey, refusal = state.current()
    if refusal:
        return refusal
    answers = journey.saved
    if answers is None:
        return redirect(url_for("respond.page", number=1))
    return render_template("respond/check.html", groups=_summary(journey.definition, answers), f=_macros().module,
                           csrf=csrf_token(),
                           open_link=journey.kind == "open")


def _summary(definition, answers: dict) -> list[dict]:
    """Sections with rows (question, labels of the answer, page to change it on)."""
    visible = {q.id for q in visible_questions(definition, answers)}
    groups: list[dict] = []
    for n, p in enumerate(pages(definition), start=1):
        rows = [{"question": q, "labels": answer_labels(q, answers.get(q.id)), "page": n,
                 "free_text": q.type.value == "free_text"} for q in p.questions if q.id in visible]
        if not rows:
            continue
        change_url = fixed_url("respond.page", number=n, change=1)    # once per page, not per row
        for row in rows:
            row["change_url"] = change_url
        if groups and groups[-1]["id"] == p.id:
            groups[-1]["rows"].extend(rows)
        else:
            groups.append({"id": p.id, "title": p.title, "rows": rows})
    return groups


@bp.route("/submit", methods=["POST"])
def submit():
    # CSRFProtect (survey.extensions) has checked the form's token before this runs.
    db = get_session()
    try:
        journey, refusal = state.current()
        if refusal:
            return refusal
        answers = journey.saved
        if answers is None:
            # The token's flag and the draft come from one statement (one snapshot): a
            # racing submit that stored the answers shows as a used token, not as a
            # missing draft. Nothing saved yet: start at the beginning.
            return redirect(url_for("respond.page", number=1))
        missing = missing_required(journey.definition, answers)
        if missing:
            number = next(n for n, p in enumerate(pages(journey.definition), start=1) if missing[0] in p.questions)
            flash("Answer this question before you submit.")
            return redirect(url_for("respond.page", number=number, change=1))
        store.release()    # one pooled connection per request: the session takes its own
        outcome = submit_response(db, keyring(), kind=journey.kind, key=journey.key, wave_id=journey.wave_id,
                                  org_id=journey.org_id, definition=journey.definition, today=state.today(),
                                  resolution=current_app.config["RESPONSE_DATE_RESOLUTION"])
    except OperationalError:
        _quiet_rollback(db)
        return render_template("respond/unavailable.html", form=SubmitForm()), 503
    if outcome is Outcome.used:
        state.finish()
        return state.refuse("used")
    state.finish()
    response = redirect(url_for("respond.done"))
    if journey.kind == "open":
        state.mark_answered(request, response, journey.wave_id)
    return response
