"""Reading the shipped YAML/CSV data files; every error names the file and the path inside it."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


class DefinitionError(ValueError):
    """A shipped definition file is invalid: '<file>: <path>: <problem>'."""


def read_yaml(path: Path, top_key: str) -> list:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DefinitionError(f"{path.name}: cannot read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get(top_key), list):
        raise DefinitionError(f"{path.name}: {top_key}: expected a top-level list '{top_key}:'")
    return data[top_key]


def need(item: dict, key: str, kind: type | tuple, where: str, file: str, optional: bool = False) -> Any:
    if key not in item or item[key] is None:
        if optional:
            return None
        raise DefinitionError(f"{file}: {where}.{key}: missing")
    value = item[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        kind_name = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise DefinitionError(f"{file}: {where}.{key}: expected {kind_name}, got {value!r}")
    return value
