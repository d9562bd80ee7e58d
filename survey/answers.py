"""Answers to a survey definition: canonical codes, validation, routing, storage.

No Flask here: the answering pages, the CSV import and the tests all call these.

Answers are a plain dict keyed by question id:
- single choice / scale: the canonical code as a string ("1", ethnicity "01");
- multiple choice: a list of canonical codes in option order;
- free text: the text (stripped; empty means not answered).
An unanswered question has no key. Answers to questions hidden by routing are dropped.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from survey.definitions.model import Question, QuestionType, Section, SurveyDefinition
from survey.models.responses import BANK_COLUMNS, BANK_MULTI_COLUMNS, DEMOGRAPHIC_COLUMNS, Comment, Response

# Question ids whose codes are two digits ("1" and "01" both mean "01").
TWO_DIGIT_IDS = frozenset({"ethnicity"})
CHOICE_TYPES = (QuestionType.single, QuestionType.scale)
DATE_RESOLUTIONS = ("day", "week")


# --- canonical codes -----------------------------------------------------------------

def _canon(question_id: str, code: str) -> str:
    """One code in canonical form: digits lose leading zeros (ethnicity: two digits)."""
    code = code.strip()
    if code.isdigit() and code.isascii():
        return f"{int(code):02d}" if question_id in TWO_DIGIT_IDS else str(int(code))
    return code


def _allowed(question: Question) -> dict[str, str]:
    """Canonical code -> the definition's own spelling of it."""
    return {_canon(question.id, c): c for c in question.option_codes()}


def _split_multi(raw: Any) -> list[str]:
    if isinstance(raw, (list, tuple, set, frozenset)):
        parts = [str(p) for p in raw]
    else:
        parts = str(raw).split(";")
    return [p.strip() for p in parts if p is not None and str(p).strip()]


def canonical_codes(question: Question, raw: Any) -> list[str]:
    """The canonical codes of a multiple-choice answer ("5;01" or ["5", "1"]), in option
    order, without repeats. Raises ValueError naming the allowed codes."""
    allowed = _allowed(question)
    chosen: set[str] = set()
    for part in _split_multi(raw):
        code = _canon(question.id, part)
        if code not in allowed:
            raise ValueError(_not_allowed(question, part))
        chosen.add(code)
    return [c for c in allowed if c in chosen]


def free_text(raw: Any) -> str:
    """Free text as stored and counted: stripped, with a browser's CRLF line ends as one
    character each (as the character count on the page counts them)."""
    return str(raw).replace("\r\n", "\n").strip()


def canonical_code(question: Question, raw: Any) -> str | None:
    """The canonical form of one answer as stored in a Response column.

    None or "" -> None (not answered). Single choice and scale: the code ("01" -> "1",
    ethnicity "1" -> "01"). Multiple choice: codes joined with ";" in option order
    ("5;1" -> "1;5"). Free text: the stripped text. Raises ValueError with a message that
    names the question and the allowed codes.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if question.type == QuestionType.free_text:
        text = free_text(raw)
        if len(text) > question.max_length:
            raise ValueError(f"{question.id}: the text is {len(text)} characters long; at most {question.max_length} are allowed")
        return text
    if question.type == QuestionType.multiple:
        codes = canonical_codes(question, raw)
        return ";".join(codes) or None
    if isinstance(raw, (list, tuple)):
        if len(raw) != 1:
            raise ValueError(f"{question.id}: one code expected, got {len(raw)}")
        raw = raw[0]
    text = str(raw).strip()
    if ";" in text:
        raise ValueError(f"{question.id}: one code expected, got {text!r}; allowed codes are {', '.join(_allowed(question))}")
    code = _canon(question.id, text)
    if code not in _allowed(question):
        raise ValueError(_not_allowed(question, text))
    return code


def _not_allowed(question: Question, raw: str) -> str:
    return f"{question.id}: {raw!r} is not an allowed code; allowed codes are {', '.join(_allowed(question))}"


# --- routing -------------------------------------------------------------------------

def visible_questions(definition: SurveyDefinition, answers: Mapping[str, Any]) -> list[Question]:
    """The questions shown, in order, given the answers. A question routed on a hidden
    question is hidden too (its parent's answer does not count)."""
    effective: dict[str, Any] = {}
    shown: list[Question] = []
    for q in definition.questions():
        if q.is_shown(effective):
            shown.append(q)
            if q.id in answers:
                effective[q.id] = answers[q.id]
    return shown


def drop_hidden(definition: SurveyDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Only the answers to questions that are shown (unknown ids are dropped too)."""
    return {q.id: answers[q.id] for q in visible_questions(definition, answers) if q.id in answers}


def pages(definition: SurveyDefinition) -> list[Section]:
    """The pages of the journey: one per section, except that a question routed on a
    question of the same page starts a new page (so routing works without JavaScript).
    Each page is a Section with the section's id and title and a share of its questions."""
    # A definition never changes, and each answering request asks for its pages several
    # times: keep the split per definition object (the entry holds it, so ids stay unique).
    cached = _PAGES.get(id(definition))
    if cached is not None and cached[0] is definition:
        return list(cached[1])
    result = _split_pages(definition)
    if len(_PAGES) >= 64:
        _PAGES.clear()
    _PAGES[id(definition)] = (definition, result)
    return list(result)


_PAGES: dict[int, tuple[SurveyDefinition, list[Section]]] = {}


def _split_pages(definition: SurveyDefinition) -> list[Section]:
    result: list[Section] = []
    for section in definition.sections:
        chunks: list[list[Question]] = [[]]
        for q in section.questions:
            if chunks[-1] and q.show_if is not None and set(q.show_if.questions()) & {c.id for c in chunks[-1]}:
                chunks.append([])
            chunks[-1].append(q)
        for i, chunk in enumerate(c for c in chunks if c):
            result.append(Section(id=section.id, title=section.title, questions=tuple(chunk),
                                  intro=section.intro if i == 0 else None))
    return result


def visible_page_numbers(definition: SurveyDefinition, answers: Mapping[str, Any],
                         shown: set[str] | frozenset[str] | None = None) -> list[int]:
    """1-based numbers of the pages with at least one visible question (`shown`: the ids
    of visible_questions(definition, answers), if the caller has them already)."""
    if shown is None:
        shown = {q.id for q in visible_questions(definition, answers)}
    return [n for n, page in enumerate(pages(definition), start=1) if any(q.id in shown for q in page.questions)]


# --- validation ----------------------------------------------------------------------

def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _getlist(form_data: Any, name: str) -> list[str]:
    if hasattr(form_data, "getlist"):
        return [v for v in form_data.getlist(name)]
    value = form_data.get(name)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def validate_section(definition: SurveyDefinition, section: Section, form_data: Any,
                     previous: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """Read the answers to one page from posted form data (a MultiDict or a mapping).

    Returns (answers, errors): answers to the visible questions of `section` that were
    given and valid; errors maps a question id to a message for the person ("Select ...").
    `previous` holds answers from other pages, for routing on them. Questions hidden by
    routing are not read (what was posted for them is dropped).
    """
    context: dict[str, Any] = dict(previous or {})
    for q in section.questions:
        context.pop(q.id, None)
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    shown_ids: set[str] | None = None
    for q in section.questions:
        if shown_ids is None:           # again only once an answer on this page may route
            shown_ids = {v.id for v in visible_questions(definition, context)}
        if q.id not in shown_ids:
            continue
        values = [v for v in _getlist(form_data, q.id) if v is not None]
        name = _short(q.text)
        try:
            if q.type == QuestionType.free_text:
                value = canonical_code(q, values[0] if values else None)
            elif q.type == QuestionType.multiple:
                value = canonical_codes(q, values) or None
            else:
                picked = [v for v in values if v.strip()]
                if len(picked) > 1:
                    raise ValueError("several")
                value = canonical_code(q, picked[0] if picked else None)
        except ValueError:
            if q.type == QuestionType.free_text:
                over = len(free_text(values[0])) - q.max_length
                errors[q.id] = (f"Your answer must be {q.max_length:,} characters or fewer; it is {over:,} "
                                f"character{'s' if over != 1 else ''} too long, so shorten it and try again")
            elif q.type == QuestionType.multiple:
                errors[q.id] = f"Select only options shown for “{name}”"
            else:
                errors[q.id] = f"Select one of the options shown for “{name}”"
            continue
        if value is None:
            if q.required:
                if q.type == QuestionType.free_text:
                    errors[q.id] = f"Enter an answer to “{name}”"
                elif q.type == QuestionType.multiple:
                    errors[q.id] = f"Select at least one answer to “{name}”"
                else:
                    errors[q.id] = f"Select an answer to “{name}”"
            continue
        answers[q.id] = value
        context[q.id] = value
        shown_ids = None
    return answers, errors


def missing_required(definition: SurveyDefinition, answers: Mapping[str, Any]) -> list[Question]:
    """Visible required questions without an answer (checked again before submitting)."""
    return [q for q in visible_questions(definition, answers) if q.required and answers.get(q.id) in (None, "", [])]


# --- storage -------------------------------------------------------------------------

@dataclass
class StoredResponse:
    """What one response becomes: Response column values, the extra answers (for
    `extra_json`) and free texts (question id, text), each of which becomes a Comment."""
    columns: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    comments: list[tuple[str, str]] = field(default_factory=list)

    @property
    def extra_json(self) -> str | None:
        return json.dumps(self.extra, sort_keys=True) if self.extra else None


def to_storage(definition: SurveyDefinition, answers: Mapping[str, Any]) -> StoredResponse:
    """Split answers into Response columns, extra_json and comments.

    Bank single/scale questions -> int columns; q16c -> "1;5"; demographics -> canonical
    code strings; other choice questions -> extra; free text -> comments. Answers hidden
    by routing or to unknown questions are dropped. Raises ValueError on a bad code or a
    bank id used with the wrong question type.
    """
    stored = StoredResponse()
    for qid, raw in drop_hidden(definition, answers).items():
        q = definition.question(qid)
        if q.type == QuestionType.free_text:
            if qid in BANK_COLUMNS or qid in BANK_MULTI_COLUMNS or qid in DEMOGRAPHIC_COLUMNS:
                raise ValueError(f"{qid}: a bank question cannot be free text")
            text = canonical_code(q, raw)
            if text:
                stored.comments.append((qid, text))
            continue
        code = canonical_code(q, raw)
        if code is None:
            continue
        if qid in BANK_COLUMNS or qid in DEMOGRAPHIC_COLUMNS:
            if q.type not in CHOICE_TYPES:
                raise ValueError(f"{qid}: stored in a single-code column, so it must be single choice or scale")
            stored.columns[qid] = int(code) if qid in BANK_COLUMNS else code
        elif qid in BANK_MULTI_COLUMNS:
            stored.columns[qid] = ";".join(sorted(code.split(";"), key=_code_order))
        elif q.type == QuestionType.multiple:
            stored.extra[qid] = code.split(";")
        else:
            stored.extra[qid] = code
    return stored


def _code_order(code: str) -> tuple[int, Any]:
    return (0, int(code)) if code.isdigit() else (1, code)


def response_date(today: dt.date, resolution: str) -> dt.date:
    """The date a response carries: the day, or the Monday of its ISO week."""
    if resolution == "day":
        return today
    if resolution == "week":
        return today - dt.timedelta(days=today.weekday())
    raise ValueError(f"RESPONSE_DATE_RESOLUTION must be one of {', '.join(DATE_RESOLUTIONS)}, not {resolution!r}")


def store_response(session, keyring, wave, org_id: int, answers: Mapping[str, Any],
                   today: dt.date, resolution: str, definition: SurveyDefinition | None = None) -> None:
    """Add one Response (random id, date at `resolution`, no time of day) and one encrypted
    Comment per free text, with no reference between them. The caller commits."""
    definition = definition or SurveyDefinition.from_json(wave.definition_json)
    stored = to_storage(definition, answers)
    day = response_date(today, resolution)
    session.add(Response(wave_id=wave.id, org_id=org_id, submitted_on=day,
                         extra_json=stored.extra_json, **stored.columns))
    for qid, text in stored.comments:
        session.add(Comment(wave_id=wave.id, org_id=org_id, question_id=qid, body=keyring.encrypt(text)))


def answer_labels(question: Question, value: Any) -> list[str]:
    """What a person sees for their answer on the check page."""
    if value in (None, "", []):
        return []
    if question.type == QuestionType.free_text:
        return [str(value)]
    codes: Iterable[str] = value if isinstance(value, (list, tuple)) else [value]
    labels = []
    allowed = _allowed(question)
    for code in codes:
        own = allowed.get(_canon(question.id, str(code)))
        labels.append(question.label_for(own) if own is not None else str(code))
    return labels
