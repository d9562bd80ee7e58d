"""Load and validate survey definitions: the question bank and the surveys drawn from it.

    load_definition(path) -> SurveyDefinition
    available_surveys(instance_path) -> {id: SurveyDefinition}   (shipped + <instance>/surveys)
    DefinitionError: .file, .path, .problem; str() = "file: path: problem"

A survey file:

    id: staff-experience            # lower case, digits and '-'
    title: Staff experience survey
    version: "2024.1"
    description: ...                 # optional
    sections:
      - id: wellbeing
        title: Your health and wellbeing
        intro: ...                   # optional
        questions:
          - q11d                     # a bank question by id
          - ref: q4b                 # a bank question with its own wording
            text: ...
            hint: ...
          - id: comments             # a question of this survey only (not a bank id)
            type: free_text          # single | multiple | scale | free_text
            text: ...
            options: [{code: 1, label: ...}]        # choices only
            show_if: {question: q11d, codes: [1]}   # or {any: [{question, codes}, ...]}
            demographic: true        # must then offer "Prefer not to say"
"""
from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from pathlib import Path

from survey.definitions.model import Question, QuestionType, Routing, Section, SurveyDefinition
from survey.definitions.questions import ID_RE, REF_KEYS, Where, parse_question, parse_routing
from survey.definitions.yamlfile import DefinitionError, DefinitionErrors, describe, read_yaml

DEFINITIONS_DIR = Path(__file__).resolve().parent
BANK_PATH = DEFINITIONS_DIR / "bank.yaml"
SHIPPED_DIR = DEFINITIONS_DIR / "surveys"
SURVEY_KEYS = {"id", "title", "version", "description", "sections"}
SECTION_KEYS = {"id", "title", "intro", "questions"}
SURVEY_ID_MAX = 80

__all__ = ["Bank", "DefinitionError", "available_surveys", "find_survey", "load_bank", "load_definition"]


@dataclass(frozen=True)
class Bank:
    version: str
    questions: dict[str, Question]   # in the bank's order


_cache: dict[tuple, object] = {}


def _cached(path: Path, key: str, build):
    try:
        stat = path.stat()
        stamp = (key, str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    except OSError:
        return build()
    if stamp not in _cache:
        if len(_cache) > 256:
            _cache.clear()
        _cache[stamp] = build()
    return _cache[stamp]


# --- routing -------------------------------------------------------------------------------

def _conditions(routing: Routing) -> list[tuple[Routing, str]]:
    """Each single condition with its path suffix inside show_if."""
    if not routing.alternatives:
        return [(routing, "")]
    return [(routing, ".any[0]")] + [(alt, f".any[{i + 1}]") for i, alt in enumerate(routing.alternatives)]


def _check_routing(where: Where, question: Question, path: str, earlier: dict[str, Question],
                   everything: set[str], inherited: bool) -> None:
    if question.show_if is None:
        return
    for cond, suffix in _conditions(question.show_if):
        where_path = path if inherited else f"{path}.show_if{suffix}"
        target = earlier.get(cond.question)
        if target is None:
            later = cond.question in everything and cond.question != question.id
            if inherited:
                problem = (f"'{question.id}' comes from the question bank, where it is asked only if "
                           f"{cond.question} is {' or '.join(cond.codes)}; " + (
                               f"'{cond.question}' comes later in this survey: move it before '{question.id}'" if later
                               else f"'{cond.question}' is not in this survey: add it before '{question.id}'"))
            elif cond.question == question.id:
                problem = "routing refers to the question itself; it may only refer to an earlier question"
            elif later:
                problem = (f"routing refers to '{cond.question}', which comes later; it may only refer to an "
                           "earlier question: move that question before this one")
            else:
                problem = f"routing refers to '{cond.question}', which is not a question of this survey"
            where.fail(where_path, problem)
        if target.type is QuestionType.free_text:
            where.fail(where_path, f"routing refers to '{cond.question}', a free_text question; it must refer to a choice")
        for code in cond.codes:
            if code not in target.option_codes():
                where.fail(where_path, f"routing code '{code}' is not an option of '{cond.question}' "
                           f"(its codes: {', '.join(target.option_codes())})")


# --- the bank ------------------------------------------------------------------------------

def _parse_bank(data, where: Where) -> Bank:
    where.mapping(data, "", "a mapping with version and questions")
    where.known_keys(data, {"version", "questions"}, "", "the question bank")
    version = where.text(data.get("version"), "version")
    items = data.get("questions")
    if not isinstance(items, list) or not items:
        where.fail("questions", f"expected a list of questions, got {describe(items)}")
    questions: dict[str, Question] = {}
    for i, item in enumerate(items):
        path = f"questions[{i}]"
        where.mapping(item, path, "a question (a mapping with id, text, type, ...)")
        question = parse_question(where, item, path)
        if question.id in questions:
            where.fail(f"{path}.id", f"duplicate question id '{question.id}'")
        _check_routing(where, question, path, questions, {str(q.get("id")) for q in items if isinstance(q, dict)}, False)
        questions[question.id] = question
    return Bank(version=version, questions=questions)


def load_bank(path: Path = BANK_PATH, display: str = "bank.yaml") -> Bank:
    return _cached(Path(path), "bank", lambda: _parse_bank(read_yaml(path, display), Where(display)))


# --- a survey ------------------------------------------------------------------------------

def _close(qid: str, bank: Bank) -> str:
    near = difflib.get_close_matches(qid, list(bank.questions), n=3)
    return f" (did you mean {', '.join(near)}?)" if near else " (see survey/definitions/bank.yaml for its ids)"


def _bank_question(where: Where, bank: Bank, item, path: str) -> Question:
    if isinstance(item, str):
        if item not in bank.questions:
            where.fail(path, f"unknown question '{item}': not in the question bank{_close(item, bank)}")
        return bank.questions[item]
    where.known_keys(item, REF_KEYS, path, "a reference to a bank question")
    ref = item.get("ref")
    if not isinstance(ref, str) or ref not in bank.questions:
        where.fail(f"{path}.ref", f"unknown question '{ref}': not in the question bank{_close(str(ref), bank)}"
                   if isinstance(ref, str) else f"expected a bank question id, got {describe(ref)}")
    changes = {}
    for key in ("text", "hint"):
        if key in item:
            changes[key] = where.text(item[key], f"{path}.{key}")
    if "required" in item:
        changes["required"] = where.flag(item["required"], f"{path}.required")
    if item.get("show_if") is not None:
        changes["show_if"] = parse_routing(where, item["show_if"], f"{path}.show_if")
    return dataclasses.replace(bank.questions[ref], **changes)


def _parse_item(where: Where, bank: Bank, item, path: str) -> tuple[Question, bool]:
    """A question of a section, and whether its routing came unchanged from the bank."""
    if isinstance(item, str) or (isinstance(item, dict) and "ref" in item):
        question = _bank_question(where, bank, item, path)
        return question, not (isinstance(item, dict) and item.get("show_if") is not None)
    if not isinstance(item, dict):
        where.fail(path, f"expected a bank question id or a question (a mapping), got {describe(item)}")
    if "id" not in item:
        where.fail(path, "a question needs either 'ref' (a bank question) or 'id', 'text' and 'type' (its own question)")
    qid = item.get("id")
    if isinstance(qid, str) and qid in bank.questions:
        where.fail(f"{path}.id", f"'{qid}' is a question of the bank: write '- {qid}' (or 'ref: {qid}' to change "
                   "its wording) instead of defining it again")
    return parse_question(where, item, path), False


class _Collect:
    """Runs each independent check of a survey, keeping every problem instead of the first."""

    def __init__(self):
        self.problems: list[DefinitionError] = []

    def __call__(self, check, *args, default=None):
        try:
            return check(*args)
        except DefinitionErrors as exc:
            self.problems.extend(exc.problems)
        except DefinitionError as exc:
            self.problems.append(exc)
        return default

    def raise_if_any(self) -> None:
        if self.problems:
            raise DefinitionErrors(self.problems) if len(self.problems) > 1 else self.problems[0]


def _survey_id(where: Where, sid) -> str:
    if not isinstance(sid, str) or not sid or len(sid) > SURVEY_ID_MAX or not all(
            c.islower() or c.isdigit() or c == "-" for c in sid) or not sid[0].isalnum():
        where.fail("id", "expected a survey id of lower-case letters, digits and '-' (e.g. staff-experience), got "
                   + (f"'{sid}'" if isinstance(sid, str) else describe(sid)))
    return sid


def _section_id(where: Where, sec_id, spath: str, section_ids: set) -> str:
    if not isinstance(sec_id, str) or not ID_RE.match(sec_id.replace("-", "_")):
        where.fail(f"{spath}.id", "expected a section id of lower-case letters, digits, '-' or '_', got "
                   + (f"'{sec_id}'" if isinstance(sec_id, str) else describe(sec_id)))
    if sec_id in section_ids:
        where.fail(f"{spath}.id", f"duplicate section id '{sec_id}'")
    return sec_id


def parse_survey(data, where: Where, bank: Bank) -> SurveyDefinition:
    """The survey, or a DefinitionError naming every problem found (DefinitionErrors when
    there are several): each field, section and question is checked on its own, so one
    mistake does not hide the next."""
    where.mapping(data, "", "a mapping with id, title, version and sections")
    check = _Collect()
    check(where.known_keys, data, SURVEY_KEYS, "", "a survey")
    sid = check(_survey_id, where, data.get("id"))
    title = check(where.text, data.get("title"), "title")
    version = check(where.text, data.get("version"), "version")
    description = check(where.text, data.get("description"), "description", False)
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        check(where.fail, "sections", f"expected a list of sections, got {'an empty list' if raw_sections == [] else describe(raw_sections)}")
        check.raise_if_any()

    parsed: list[tuple[dict, list[tuple[Question, bool, str]]]] = []
    failed: set[str] = set()          # ids of questions with problems of their own: routing to them is not re-reported
    first_seen: dict[str, str] = {}
    section_ids: set[str] = set()
    for si, raw in enumerate(raw_sections):
        spath = f"sections[{si}]"
        if check(where.mapping, raw, spath, "a section (a mapping with id, title and questions)") is None:
            continue
        check(where.known_keys, raw, SECTION_KEYS, spath, "a section")
        sec_id = check(_section_id, where, raw.get("id"), spath, section_ids)
        section_ids.add(sec_id)
        header = {"id": sec_id, "title": check(where.text, raw.get("title"), f"{spath}.title"),
                  "intro": check(where.text, raw.get("intro"), f"{spath}.intro", False)}
        items = raw.get("questions")
        if not isinstance(items, list) or not items:
            check(where.fail, f"{spath}.questions", "expected a list of questions, got "
                  + ("an empty list" if items == [] else describe(items)))
            items = []
        questions = []
        for qi, item in enumerate(items):
            qpath = f"{spath}.questions[{qi}]"
            got = check(_parse_item, where, bank, item, qpath)
            if got is None:
                raw_id = item if isinstance(item, str) else (item.get("id") or item.get("ref")) if isinstance(item, dict) else None
                failed.add(str(raw_id))
                continue
            question, inherited = got
            if question.id in first_seen:
                check(where.fail, qpath, f"duplicate question id '{question.id}' (first at {first_seen[question.id]})")
                continue
            first_seen[question.id] = qpath
            questions.append((question, inherited, qpath))
        parsed.append((header, questions))

    everything = set(first_seen)
    earlier: dict[str, Question] = {}
    for _header, questions in parsed:
        for question, inherited, qpath in questions:
            targets = {c.question for c, _s in _conditions(question.show_if)} if question.show_if else set()
            if not targets & failed:
                check(_check_routing, where, question, qpath, earlier, everything, inherited)
            earlier[question.id] = question
    check.raise_if_any()
    sections = tuple(Section(id=h["id"], title=h["title"], intro=h["intro"],
                             questions=tuple(q for q, _i, _p in qs)) for h, qs in parsed)
    return SurveyDefinition(id=sid, title=title, version=version, sections=sections,
                            description=description, source=where.file)


def load_definition(path, display: str | None = None, bank: Bank | None = None) -> SurveyDefinition:
    """Read and validate one survey file. Errors name `display` (default: the path as given)."""
    path = Path(path)
    display = display or str(path)
    bank = bank or load_bank()
    return _cached(path, f"survey:{display}:{id(bank)}", lambda: parse_survey(read_yaml(path, display), Where(display), bank))


def _survey_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def available_surveys(instance_path=None, errors: list | None = None) -> dict[str, SurveyDefinition]:
    """Every shipped survey and every survey in <instance_path>/surveys, by id.

    A broken or clashing file raises DefinitionError, unless `errors` is a list: then the
    error is appended to it and the file is skipped (for pages that list what works)."""
    found: dict[str, SurveyDefinition] = {}
    files = [(p, f"survey/definitions/surveys/{p.name}") for p in _survey_files(SHIPPED_DIR)]
    if instance_path is not None:
        files += [(p, f"surveys/{p.name}") for p in _survey_files(Path(instance_path) / "surveys")]
    for path, display in files:
        try:
            definition = load_definition(path, display)
            if definition.id in found:
                raise DefinitionError(display, "id", f"the survey id '{definition.id}' is already used by "
                                      f"{found[definition.id].source}; choose another id")
        except DefinitionError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        found[definition.id] = definition
    return found


def find_survey(instance_path, survey_id: str) -> SurveyDefinition:
    """The survey with this id, or a LookupError whose message lists the ids there are.

    A broken file elsewhere in the instance folder does not stop a valid survey being
    found; asking for the broken one raises its DefinitionError."""
    problems: list = []
    surveys = available_surveys(instance_path, errors=problems)
    if survey_id not in surveys:
        for problem in problems:
            if Path(getattr(problem, "file", "")).stem == survey_id:
                raise problem
        raise LookupError(f"Unknown survey '{survey_id}'. Surveys: {', '.join(sorted(surveys)) or 'none'}.")
    return surveys[survey_id]
