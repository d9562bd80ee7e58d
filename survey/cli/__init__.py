"""`flask --app survey <command>`. One module per domain; each calls the same operations
as the web pages. Every command turns bad input into a one-line message and exit code 1."""
from __future__ import annotations

import importlib

# Modules that define a `commands` list of click commands/groups.
MODULES = [
    "survey.cli.setup",
    "survey.cli.speakup",
    "survey.cli.keys",
    "survey.cli.audit",
    "survey.cli.users",
    "survey.cli.orgs",
    "survey.cli.surveys",
    "survey.cli.waves",
    "survey.cli.tokens",
    "survey.cli.responses",
    "survey.cli.demo",
    "survey.cli.report",
    "survey.cli.maintenance",
    "survey.cli.worker",
]


def register(app) -> None:
    for name in MODULES:
        module = importlib.import_module(name)
        for command in module.commands:
            app.cli.add_command(command)
