"""The shape of a survey once loaded and validated. Plain frozen dataclasses, no I/O.

A question's `id` is its storage name: bank questions (`q14a`, `ethnicity`, ...) map to
columns of `Response`; an administrator's own questions go to `Response.extra_json`;
free-text questions (and a survey's comment box) go to `Comment`, encrypted.

Option codes are strings as shown in the YAML ("1", "01", "9"). For bank questions
stored as integers, `Question.stored_value(code)` gives what goes into the column.
"""
from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass


class QuestionType(str, enum.Enum):
    single = "single"        # radios, one code
    multiple = "multiple"    # checkboxes, several codes
    scale = "scale"          # radios over an ordered scale (e.g. 1..5 agree)
    free_text = "free_text"  # a text box; encrypted, never broken down by characteristic


@dataclass(frozen=True)
class Option:
    code: str
    label: str


@dataclass(frozen=True)
class Routing:
    """Show the question only if question `question` was answered with one of `codes`
    (for a multiple-choice question: if any of `codes` was ticked), or if any of the
    `alternatives` is met ("q16c only if q16a = 1 or q16b = 1")."""
    question: str
    codes: tuple[str, ...]
    alternatives: tuple["Routing", ...] = ()

    def is_met(self, answers: dict) -> bool:
        return self._own_is_met(answers) or any(alt.is_met(answers) for alt in self.alternatives)

    def _own_is_met(self, answers: dict) -> bool:
        given = answers.get(self.question)
        if given is None:
            return False
        if isinstance(given, (list, tuple)):
            return any(code in self.codes for code in given)
        return given in self.codes

    def questions(self) -> tuple[str, ...]:
        """Every question this routing depends on."""
        return (self.question,) + tuple(q for alt in self.alternatives for q in alt.questions())

    @classmethod
    def from_dict(cls, d: dict) -> "Routing":
        return cls(d["question"], tuple(d["codes"]),
                   tuple(cls.from_dict(a) for a in d.get("alternatives", ())))


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: QuestionType
    options: tuple[Option, ...] = ()
    hint: str | None = None
    show_if: Routing | None = None
    required: bool = False            # staff may skip any question unless the survey says otherwise
    demographic: bool = False         # part of the "about you" section; offers "Prefer not to say"
    max_length: int = 2000            # free text only

    def option_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)

    def label_for(self, code: str) -> str | None:
        for o in self.options:
            if o.code == code:
                return o.label
        return None

    def is_shown(self, answers: dict) -> bool:
        return self.show_if is None or self.show_if.is_met(answers)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    questions: tuple[Question, ...]
    intro: str | None = None


@dataclass(frozen=True)
class SurveyDefinition:
    id: str                       # e.g. "staff-experience"
    title: str
    version: str                  # e.g. "2024.1"; a wave keeps the definition it started with
    sections: tuple[Section, ...]
    description: str | None = None
    source: str = ""              # the file it came from (for messages)

    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, qid: str) -> Question | None:
        for q in self.questions():
            if q.id == qid:
                return q
        return None

    def to_json(self) -> str:
        """Stored on the wave (Wave.definition_json) so later YAML edits do not change it."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "SurveyDefinition":
        data = json.loads(text)

        def question(d):
            routing = d.get("show_if")
            return Question(
                id=d["id"], text=d["text"], type=QuestionType(d["type"]),
                options=tuple(Option(**o) for o in d.get("options", ())), hint=d.get("hint"),
                show_if=Routing.from_dict(routing) if routing else None,
                required=d.get("required", False), demographic=d.get("demographic", False),
                max_length=d.get("max_length", 2000),
            )

        sections = tuple(
            Section(id=s["id"], title=s["title"], intro=s.get("intro"),
                    questions=tuple(question(q) for q in s["questions"]))
            for s in data["sections"]
        )
        return cls(id=data["id"], title=data["title"], version=data["version"], sections=sections,
                   description=data.get("description"), source=data.get("source", ""))
