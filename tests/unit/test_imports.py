"""No import cycle anywhere in survey/ (issue 19): read every module's imports, at the top
and inside functions alike (a deferred import is a cycle hidden, not removed), and find
the strongly connected parts of the graph."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parents[2]


def _modules() -> dict[str, Path]:
    out = {}
    for path in (ROOT / "survey").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The survey modules `name` imports (a package's __init__ counts as the package)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name and not name.startswith(t + "."):     # not its own packages
                found.add(t)
    return found


def import_cycles() -> list[list[str]]:
    mods = _modules()
    names = sorted(mods)
    index = {n: i for i, n in enumerate(names)}
    edges = [(index[a], index[b]) for a in names for b in _imports(a, mods[a], set(mods))]
    graph = coo_matrix(([1] * len(edges), ([a for a, _ in edges], [b for _, b in edges])), shape=(len(names),) * 2)
    _, label = connected_components(graph, directed=True, connection="strong")
    parts = defaultdict(list)
    for n, lab in zip(names, label):
        parts[lab].append(n)
    return sorted(p for p in parts.values() if len(p) > 1)


def test_the_reader_finds_imports_of_every_kind():
    mods = _modules()
    got = _imports("survey.releases.outputs", mods["survey.releases.outputs"], set(mods))
    assert {"survey.releases.words", "survey.releases.xlsx", "survey.releases.charts", "survey.csvsafe"} <= got


def test_no_module_of_survey_imports_itself_through_others():
    assert import_cycles() == []


def test_the_disclosure_package_stands_alone():
    """survey.disclosure imports neither Flask, the ORM nor the rest of the product: it is
    handed numbers and relations, never definitions or sessions."""
    mods = _modules()
    outside = {}
    for name, path in mods.items():
        if not name.startswith("survey.disclosure"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for n in names:
                top = n.split(".")
                if top[0] in ("flask", "flask_wtf", "sqlalchemy") or (top[0] == "survey" and top[:2] != ["survey", "disclosure"]):
                    outside.setdefault(name, []).append(n)
    assert outside == {}
