"""Parsing one question (inline or from the bank) into a `Question`, strictly.

Structural checks only; whether routing points at an earlier question of the same
survey is checked by the loader once the survey's order is known.
"""
from __future__ import annotations

import re

from survey.definitions.model import Option, Question, QuestionType, Routing
from survey.definitions.yamlfile import DefinitionError, describe

QUESTION_KEYS = {"id", "text", "type", "options", "hint", "show_if", "required", "demographic", "max_length"}
REF_KEYS = {"ref", "text", "hint", "required", "show_if"}
ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
CODE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")
PREFER_NOT_RE = re.compile(r"prefer not to say", re.IGNORECASE)
TYPES = ", ".join(t.value for t in QuestionType)
# Column names of the response import that a question may not take.
RESERVED_IDS = {"org", "id", "wave", "date"}
MAX_TEXT_LENGTH = 10000


class Where:
    """The file being read, for messages."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, path: str, problem: str):
        raise DefinitionError(self.file, path, problem)

    def mapping(self, value, path: str, what: str) -> dict:
        if not isinstance(value, dict):
            self.fail(path, f"expected {what}, got {describe(value)}")
        return value

    def known_keys(self, value: dict, allowed: set[str], path: str, what: str) -> None:
        for key in value:
            if key not in allowed:
                self.fail(f"{path}.{key}" if path else str(key),
                          f"unknown key '{key}' in {what}; allowed: {', '.join(sorted(allowed))}")

    def text(self, value, path: str, required: bool = True) -> str | None:
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"expected text, got {describe(value)}" if not isinstance(value, str) or value == ""
                      else "expected text, got only spaces")
        return value.strip()

    def flag(self, value, path: str) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {describe(value)} ('{value}')")
        return value


def parse_options(where: Where, value, path: str) -> tuple[Option, ...]:
    if not isinstance(value, list) or not value:
        got = "an empty list" if value == [] else describe(value)
        where.fail(path, f"expected a list of {{code, label}}, got {got}")
    options, seen = [], set()
    for i, item in enumerate(value):
        ipath = f"{path}[{i}]"
        if not isinstance(item, dict):
            where.fail(ipath, f"expected a mapping {{code, label}}, got {describe(item)}")
        where.known_keys(item, {"code", "label"}, ipath, "an option")
        code = item.get("code")
        if not isinstance(code, str) or not CODE_RE.match(code):
            where.fail(f"{ipath}.code", f"expected a short code of letters, digits, '.', '_' or '-' (e.g. 1), got "
                       + (f"'{code}'" if isinstance(code, str) else describe(code)))
        if code in seen:
            where.fail(f"{ipath}.code", f"the code '{code}' is used twice in this question")
        seen.add(code)
        label = where.text(item.get("label"), f"{ipath}.label")
        options.append(Option(code=code, label=label))
    return tuple(options)


def parse_routing(where: Where, value, path: str) -> Routing:
    """`{question: q11d, codes: [1]}` or `{any: [{question, codes}, ...]}`."""
    where.mapping(value, path, "a mapping {question, codes} or {any: [...]}")
    if "any" in value:
        where.known_keys(value, {"any"}, path, "show_if")
        alts = value["any"]
        if not isinstance(alts, list) or not alts:
            where.fail(f"{path}.any", f"expected a list of {{question, codes}}, got {describe(alts)}")
        conditions = [parse_routing(where, alt, f"{path}.any[{i}]") for i, alt in enumerate(alts)]
        for i, cond in enumerate(conditions):
            if cond.alternatives:
                where.fail(f"{path}.any[{i}]", "an 'any' may not contain another 'any'")
        first = conditions[0]
        return Routing(first.question, first.codes, tuple(conditions[1:]))
    where.known_keys(value, {"question", "codes"}, path, "show_if")
    question = value.get("question")
    if not isinstance(question, str) or not question:
        where.fail(f"{path}.question", f"expected a question id, got {describe(question)}")
    codes = value.get("codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        where.fail(f"{path}.codes", f"expected a list of option codes, e.g. [1], got {describe(codes)}")
    return Routing(question, tuple(codes))


def parse_question(where: Where, value: dict, path: str) -> Question:
    """An inline question: every field given here."""
    where.known_keys(value, QUESTION_KEYS, path, "a question")
    qid = value.get("id")
    if not isinstance(qid, str) or not ID_RE.match(qid):
        where.fail(f"{path}.id", "expected an id of lower-case letters, digits and '_' starting with a letter "
                   f"(at most 64), got " + (f"'{qid}'" if isinstance(qid, str) else describe(qid)))
    if qid in RESERVED_IDS:
        where.fail(f"{path}.id", f"'{qid}' is reserved (a column of the response import); choose another id")
    text = where.text(value.get("text"), f"{path}.text")
    raw_type = value.get("type")
    try:
        qtype = QuestionType(raw_type)
    except ValueError:
        where.fail(f"{path}.type", f"expected one of {TYPES}, got "
                   + (f"'{raw_type}'" if isinstance(raw_type, str) else describe(raw_type)))
    hint = where.text(value.get("hint"), f"{path}.hint", required=False)
    required = where.flag(value.get("required"), f"{path}.required")
    demographic = where.flag(value.get("demographic"), f"{path}.demographic")
    max_length = 2000
    if qtype is QuestionType.free_text:
        if "options" in value:
            where.fail(f"{path}.options", "a free_text question has no options; remove them or change the type")
        if demographic:
            where.fail(f"{path}.demographic", "a demographic item must be a choice, not free_text")
        if "max_length" in value:
            raw = value["max_length"]
            if not isinstance(raw, str) or not raw.isdigit() or not 1 <= int(raw) <= MAX_TEXT_LENGTH:
                where.fail(f"{path}.max_length", f"expected a whole number from 1 to {MAX_TEXT_LENGTH}, got "
                           + (f"'{raw}'" if isinstance(raw, str) else describe(raw)))
            max_length = int(raw)
        options: tuple[Option, ...] = ()
    else:
        if "max_length" in value:
            where.fail(f"{path}.max_length", "only a free_text question has a max_length")
        options = parse_options(where, value.get("options"), f"{path}.options")
        if demographic and not any(PREFER_NOT_RE.search(o.label) for o in options):
            where.fail(f"{path}.options", "a demographic item must offer 'Prefer not to say' (add it as the last option)")
    show_if = parse_routing(where, value["show_if"], f"{path}.show_if") if value.get("show_if") is not None else None
    return Question(id=qid, text=text, type=qtype, options=options, hint=hint, show_if=show_if,
                    required=required, demographic=demographic, max_length=max_length)
