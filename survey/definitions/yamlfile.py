"""Reading definition YAML strictly, and the error every definition problem raises.

The loader reads every scalar as text (so option codes keep their leading zeros: "01"
is not 1, and "Yes"/"No" labels stay words), except `true`/`false` (booleans) and
`null`/`~`/empty (nothing). A key given twice in one mapping is an error, not a silent
overwrite.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"


class DefinitionError(Exception):
    """A problem in a definition file: which file, where inside it, and what is wrong."""

    def __init__(self, file: str, path: str, problem: str):
        self.file = file
        self.path = path
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.problem}" if self.path else f"{self.file}: {self.problem}"

    @property
    def all(self) -> list["DefinitionError"]:
        """Every problem found (one here; several in DefinitionErrors)."""
        return [self]


class DefinitionErrors(DefinitionError):
    """Every problem found in one file, each with its path; the first stands for them all
    where one is read (.file, .path, .problem), and str() lists them one a line."""

    def __init__(self, problems: list[DefinitionError]):
        self.problems = list(problems)
        first = self.problems[0]
        super().__init__(first.file, first.path, first.problem)

    def __str__(self) -> str:
        return "\n".join(DefinitionError.__str__(p) for p in self.problems)

    @property
    def all(self) -> list[DefinitionError]:
        return list(self.problems)


class _StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _value in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                except TypeError:
                    continue
                if duplicate:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key '{key}' is given twice in one mapping", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Keep only null and true/false among the implicit types; everything else is text.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag == _NULL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def read_yaml(path: Path, display: str):
    """Parse a YAML file; any syntax problem becomes a DefinitionError with its line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError(display, "", "file not found") from None
    except UnicodeDecodeError:
        raise DefinitionError(display, "", "not UTF-8 text; save the file as UTF-8") from None
    except OSError as exc:
        raise DefinitionError(display, "", f"cannot be read ({exc.strerror})") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "not valid YAML"
        raise DefinitionError(display, where, f"not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise DefinitionError(display, "", f"not valid YAML: {exc}") from None
    except RecursionError:
        raise DefinitionError(display, "", "nested too deeply to be a survey definition") from None


def describe(value) -> str:
    """How a wrongly typed value reads in a message: 'a string', 'a list', ..."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
