"""Organisations: the hierarchy, CSV import (all or nothing, by survey.orgs as the CLI), rename."""
from __future__ import annotations

import tempfile
from pathlib import Path

from flask import abort, flash, redirect, render_template, url_for

from survey import audit
from survey.admin import bp
from survey.admin.common import actor_id, log
from survey.admin.forms import OrgImportForm, OrgNameForm
from survey.auth import staff_required
from survey.csvfile import InvalidFile
from survey.db import get_session
from survey.models import Organisation
from survey.orgs import COLUMNS, import_orgs_file, tree

NAME_MAX = 200


def rename_org(session, org: Organisation, name: str, actor: int | None) -> bool:
    """Give an organisation a new name; False if it already had it. Raises ValueError."""
    name = (name or "").strip()
    if not name:
        raise ValueError("Enter the organisation's name")
    if len(name) > NAME_MAX:
        raise ValueError(f"The name is {len(name)} characters long; use at most {NAME_MAX}")
    if name == org.name:
        return False
    org.name = name
    audit.record(session, actor, "org.rename", "organisation", org.id, {"code": org.code})
    return True


@bp.route("/orgs")
@staff_required("admin")
def orgs():
    return render_template("admin/orgs.html", rows=tree(get_session()))


@bp.route("/orgs/import", methods=["GET", "POST"])
@staff_required("admin")
def orgs_import():
    form = OrgImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        db = get_session()
        with tempfile.TemporaryDirectory(prefix="orgs-upload-") as tmp:
            path = Path(tmp) / "upload.csv"
            form.file.data.save(path)
            try:
                summary = import_orgs_file(db, path, actor_id())
            except InvalidFile as exc:
                db.rollback()
                problems = exc.problems
            else:
                db.commit()
                log("admin.orgs.import", created=summary.created, renamed=summary.renamed, moved=summary.moved)
                flash(str(summary))
                return redirect(url_for("admin.orgs"))
    return render_template("admin/orgs_import.html", form=form, problems=problems, columns=COLUMNS)


@bp.route("/orgs/<int:org_id>/edit", methods=["GET", "POST"])
@staff_required("admin")
def org_edit(org_id: int):
    db = get_session()
    org = db.get(Organisation, org_id)
    if org is None:
        abort(404)
    form = OrgNameForm(data={"name": org.name})
    if form.validate_on_submit():
        try:
            changed = rename_org(db, org, form.name.data, actor_id())
        except ValueError as exc:
            form.name.errors = [str(exc)]
        else:
            db.commit()
            if changed:
                log("admin.org.rename", org_id=org.id)
                flash(f"{org.code} is now called {org.name}.")
            return redirect(url_for("admin.orgs"))
    return render_template("admin/org_edit.html", form=form, org=org)
