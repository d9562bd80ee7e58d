"""Installing an administrator's own survey definition into <instance>/surveys/<id>.yaml.

The checking is the loader's (survey.definitions.loader, as `flask --app survey surveys
check`); this module only adds the rules for a file that arrives by upload: a plain file
name, UTF-8 YAML, no clash with a shipped survey, written atomically.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from survey.definitions.loader import DefinitionError, available_surveys, load_definition
from survey.definitions.model import SurveyDefinition

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Installed:
    definition: SurveyDefinition
    path: Path
    replaced: bool


def check_file_name(filename: str | None) -> str:
    """The uploaded file's name, or a DefinitionError if it is not a plain YAML file name."""
    name = (filename or "").strip()
    shown = name or "the file"
    if not name:
        raise DefinitionError(shown, "", "the upload has no file name; choose a .yaml file")
    if any(ch in name for ch in "/\\:\x00") or ".." in name or not NAME_RE.match(name):
        raise DefinitionError(shown, "", "the file name may use only letters, digits, '.', '-' and '_' "
                              "(no folders or path characters); rename the file and upload it again")
    if not name.lower().endswith(SUFFIXES):
        raise DefinitionError(shown, "", "expected a YAML file whose name ends in .yaml or .yml")
    return name


def surveys_dir(instance_path) -> Path:
    return Path(instance_path) / "surveys"


def check_upload(instance_path, filename: str | None, data: bytes) -> SurveyDefinition:
    """Validate an uploaded definition without saving it. Raises DefinitionError."""
    name = check_file_name(filename)
    display = f"surveys/{name}"
    with tempfile.TemporaryDirectory(prefix="survey-upload-") as tmp:
        path = Path(tmp) / "upload.yaml"
        path.write_bytes(data)
        try:
            definition = load_definition(path, display)
        except RecursionError:
            raise DefinitionError(display, "", "the YAML is nested too deeply to be a survey definition; "
                                  "check its brackets and indentation") from None
    shipped = available_surveys(None)
    if definition.id in shipped:
        raise DefinitionError(display, "id", f"the survey id '{definition.id}' is a shipped survey "
                              f"({shipped[definition.id].title}); choose another id")
    errors: list[DefinitionError] = []
    for other in available_surveys(instance_path, errors=errors).values():
        if other.id == definition.id and Path(other.source).name != f"{definition.id}.yaml":
            raise DefinitionError(display, "id", f"the survey id '{definition.id}' is already used by "
                                  f"{other.source}; choose another id")
    return definition


def install(instance_path, filename: str | None, data: bytes) -> Installed:
    """Validate and save as <instance>/surveys/<id>.yaml (replacing that survey's earlier file)."""
    definition = check_upload(instance_path, filename, data)
    folder = surveys_dir(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{definition.id}.yaml"
    replaced = target.exists()
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return Installed(definition, target, replaced)


def list_surveys(instance_path) -> tuple[list[tuple[SurveyDefinition, str]], list[DefinitionError]]:
    """Every survey that loads, with its source ('shipped' or 'instance'), and the files that do not."""
    errors: list[DefinitionError] = []
    found = available_surveys(instance_path, errors=errors)
    rows = [(d, "instance" if d.source.startswith("surveys/") else "shipped") for d in found.values()]
    rows.sort(key=lambda r: (r[1] != "shipped", r[0].id))
    return rows, errors
