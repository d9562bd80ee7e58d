"""Surveys: the shipped ones and the instance's own; upload, check and save a YAML definition."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from survey import audit
from survey.admin import bp
from survey.admin.common import actor_id, log
from survey.admin.forms import SurveyUploadForm
from survey.admin.survey_files import check_upload, install, list_surveys
from survey.auth import staff_required
from survey.db import get_session
from survey.definitions.loader import DefinitionError


@bp.route("/surveys")
@staff_required("admin")
def surveys():
    rows, broken = list_surveys(current_app.instance_path)
    return render_template("admin/surveys.html", rows=rows, broken=broken)


@bp.route("/surveys/upload", methods=["GET", "POST"])
@staff_required("admin")
def survey_upload():
    form = SurveyUploadForm()
    problems: list[str] = []
    checked = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        check_only = request.form.get("action") == "check"
        try:
            if check_only:
                checked = check_upload(current_app.instance_path, upload.filename, data)
            else:
                installed = install(current_app.instance_path, upload.filename, data)
        except DefinitionError as exc:
            problems = [str(p) for p in exc.all]
        else:
            if not check_only:
                definition = installed.definition
                db = get_session()
                audit.record(db, actor_id(), "survey.upload", "survey", definition.id,
                             {"version": definition.version, "replaced": installed.replaced})
                db.commit()
                log("admin.survey.upload", survey_id=definition.id, version=definition.version,
                    replaced=installed.replaced)
                flash(f"Saved survey '{definition.id}' ({definition.title}, version {definition.version})"
                      + (", replacing the earlier file." if installed.replaced else "."))
                return redirect(url_for("admin.surveys"))
    return render_template("admin/survey_upload.html", form=form, problems=problems, checked=checked)
