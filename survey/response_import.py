"""Import earlier survey microdata (a paper survey, a national extract) into a wave.

One row per respondent: an `org` column (a code of one of the wave's organisations) and
one column per question or demographic id of the wave's survey, holding the option
code ("1" and "01" are the same ethnicity code; empty = not answered; the codes of a
multiple choice joined with ";"). A free-text column becomes encrypted comments.

Every invalid cell is reported with its line and column, and nothing is stored unless
the whole file is valid. Codes are canonicalised, checked and mapped to storage by
`survey.answers`, exactly as for answers given on the web. Imported responses carry
the wave's closing date at the configured resolution.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from survey import answers as answers_mod
from survey import audit
from survey.csvfile import InvalidFile, column_name, read_text, rows
from survey.definitions.model import QuestionType, SurveyDefinition
from survey.models import Comment, Organisation, Response, Wave
from survey.models.responses import BANK_COLUMNS, BANK_MULTI_COLUMNS, DEMOGRAPHIC_COLUMNS, random_id

BATCH = 5000


@dataclass(frozen=True)
class ImportResult:
    responses: int
    comments: int
    submitted_on: object


def _where(line: int, index: int, name: str) -> str:
    return f"line {line}, column {column_name(index)} ({name})"


def _strip_id(message: str, qid: str) -> str:
    prefix = f"{qid}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def _condition_text(definition: SurveyDefinition, question) -> str:
    routing = question.show_if
    parts = [f"{cond.question} is {' or '.join(cond.codes)}" for cond in (routing, *routing.alternatives)]
    return " or ".join(parts)


def parse_responses(definition: SurveyDefinition, org_codes: dict[str, int], text: str) -> list[tuple[int, dict]]:
    """Check every cell; return (org id, canonical answers) per row or raise InvalidFile."""
    header, data = rows(text)
    problems: list[str] = []
    questions = {q.id: q for q in definition.questions()}
    lowered = [h.lower() if h.lower() == "org" else h for h in header]
    if "org" not in lowered:
        problems.append("line 1: there is no 'org' column (the organisation code of each respondent)")
    seen: dict[str, int] = {}
    for i, name in enumerate(lowered):
        if name in seen:
            problems.append(f"line 1, column {column_name(i)}: '{name}' is already column {column_name(seen[name])}")
        elif name != "org" and name not in questions:
            problems.append(f"line 1, column {column_name(i)}: '{name}' is not a question of the survey "
                            f"'{definition.id}'; columns allowed: org, {', '.join(questions)}")
        seen.setdefault(name, i)
    if problems:
        raise InvalidFile(problems)

    org_index = lowered.index("org")
    columns = [(i, questions[name]) for i, name in enumerate(lowered) if name != "org"]
    order = {q.id: n for n, q in enumerate(definition.questions())}
    columns.sort(key=lambda pair: order[pair[1].id])    # routing looks at earlier questions first
    routed = [q for _i, q in columns if q.show_if is not None]
    memo: dict[tuple[str, str], object] = {}
    org_list = ", ".join(sorted(org_codes)[:30]) + (" ..." if len(org_codes) > 30 else "")
    result: list[tuple[int, dict]] = []
    width = len(header)

    for line, values in data:
        if len(values) != width:
            problems.append(f"line {line}: expected {width} values (one per column of line 1), found {len(values)}")
            continue
        row_problems: list[tuple[int, str]] = []
        code = values[org_index].strip()
        org_id = org_codes.get(code)
        if org_id is None:
            row_problems.append((org_index, f"{_where(line, org_index, 'org')}: " + (
                f"'{code}' is not an organisation of this wave; allowed: {org_list}" if code else
                "empty; every row needs the organisation code of the respondent")))
        answers: dict[str, object] = {}
        for i, question in columns:
            raw = values[i]
            key = (question.id, raw)
            value = memo.get(key, memo)
            if value is memo:
                try:
                    value = answers_mod.canonical_code(question, raw)
                    if value is not None and question.type is QuestionType.multiple:
                        value = value.split(";")
                except ValueError as exc:
                    value = ValueError(_strip_id(str(exc), question.id))
                if question.type is not QuestionType.free_text:
                    memo[key] = value
            if isinstance(value, ValueError):
                row_problems.append((i, f"{_where(line, i, question.id)}: {value}"))
            elif value is not None:
                answers[question.id] = value
        for question in routed:
            if question.id in answers and not question.show_if.is_met(answers):
                index = lowered.index(question.id)
                row_problems.append((index, f"{_where(line, index, question.id)}: answered, but '{question.id}' is "
                                     f"asked only if {_condition_text(definition, question)}; leave it empty for this row"))
        if row_problems:
            problems.extend(message for _index, message in sorted(row_problems))
        else:
            result.append((org_id, answers))
    if problems:
        raise InvalidFile(problems)
    if not result:
        raise InvalidFile(["the file has a header but no responses"])
    return result


def import_responses(session: Session, keyring, wave: Wave, path, resolution: str, append: bool = False,
                     actor_id: int | None = None) -> ImportResult:
    """Check the whole file, then store every response (and comment) in one transaction."""
    definition = SurveyDefinition.from_json(wave.definition_json)
    ids = [w.org_id for w in wave.organisations]
    org_codes = dict(session.execute(select(Organisation.code, Organisation.id).where(Organisation.id.in_(ids))).all())
    if not append:
        existing = session.scalar(select(func.count()).select_from(Response).where(Response.wave_id == wave.id))
        if existing:
            raise InvalidFile([f"the wave '{wave.name}' has {existing} responses already; importing the same file "
                               "twice would count people twice. Add --append if this file holds other people."])
    parsed = parse_responses(definition, org_codes, read_text(path))
    day = answers_mod.response_date(wave.closes_on, resolution)
    responses, comments = [], []
    empty = dict.fromkeys(BANK_COLUMNS + BANK_MULTI_COLUMNS + DEMOGRAPHIC_COLUMNS)
    to_storage = CellStorage(definition)
    for org_id, answers in parsed:
        stored = to_storage(answers)
        responses.append({**empty, "id": random_id(), "wave_id": wave.id, "org_id": org_id, "submitted_on": day,
                          "extra_json": stored.extra_json, **stored.columns})
        comments.extend({"id": random_id(), "wave_id": wave.id, "org_id": org_id, "question_id": qid,
                         "body": keyring.encrypt(text)} for qid, text in stored.comments)
    bulk_insert(session, Response, responses)
    bulk_insert(session, Comment, comments)
    audit.record(session, actor_id, "responses.import", "wave", wave.id,
                 {"responses": len(responses), "comments": len(comments)})
    return ImportResult(len(responses), len(comments), day)


class CellStorage:
    """`answers.to_storage` for a whole row, computed once per distinct cell.

    The mapping of one answer does not depend on the rest of the row, except through
    routing; so each choice answer is mapped by `to_storage` together with the answers
    its routing depends on (all of them already checked), and the result is reused for
    every row with the same values. 100 000 rows then cost seconds, not minutes."""

    def __init__(self, definition: SurveyDefinition):
        self.definition = definition
        self.questions = {q.id: q for q in definition.questions()}
        self.ancestors = {qid: self._ancestors(qid) for qid in self.questions}
        self.memo: dict[tuple, tuple[dict, dict]] = {}

    def _ancestors(self, qid: str) -> tuple[str, ...]:
        out, stack = [], [qid]
        while stack:
            q = self.questions.get(stack.pop())
            if q is not None and q.show_if is not None:
                for parent in q.show_if.questions():
                    if parent not in out:
                        out.append(parent)
                        stack.append(parent)
        return tuple(out)

    def __call__(self, answers: dict) -> answers_mod.StoredResponse:
        result = answers_mod.StoredResponse()
        for qid, value in answers.items():
            ancestors = self.ancestors[qid]
            key = (qid, tuple(value) if isinstance(value, list) else value)
            if ancestors:
                key += tuple((p, tuple(answers[p]) if isinstance(answers.get(p), list) else answers.get(p))
                             for p in ancestors)
            part = self.memo.get(key)
            if part is None:
                sub = {p: answers[p] for p in ancestors if p in answers}
                sub[qid] = value
                if self.questions[qid].type is QuestionType.free_text:
                    result.comments.extend(answers_mod.to_storage(self.definition, sub).comments)
                    continue
                stored = answers_mod.to_storage(self.definition, sub)
                part = ({k: v for k, v in stored.columns.items() if k == qid},
                        {k: v for k, v in stored.extra.items() if k == qid})
                self.memo[key] = part
            result.columns.update(part[0])
            result.extra.update(part[1])
        return result


def bulk_insert(session: Session, model, dicts: list[dict]) -> None:
    """Insert in batches of executemany (every dict has the same keys)."""
    for start in range(0, len(dicts), BATCH):
        # Core executemany on the table: one statement for every batch (the ORM's bulk
        # insert would split the rows by which columns are empty).
        session.execute(insert(model.__table__), dicts[start:start + BATCH])
