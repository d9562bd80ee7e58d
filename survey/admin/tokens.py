"""Invitation tokens: issue a batch for a wave and organisation; the links are shown ONCE.

`survey.invitations.issue_tokens` (as `flask --app survey tokens issue`) stores only the
tokens' keyed hashes. The tokens themselves exist only in the response to the POST that
issued them: a CSV download streamed from the POST, or a printable sheet of QR slips with
the same CSV as a data: link. Nothing goes to the session cookie, the database or a log.
The response is built before the commit, so a failure stores no hash of an unseen token.
"""
from __future__ import annotations

import base64
import datetime as dt
import io
import re

import segno
from flask import current_app, flash, make_response, redirect, render_template, request, url_for

from survey import csvsafe
from survey.config import base_url
from survey.admin import bp
from survey.admin.common import actor_id, log
from survey.admin.forms import MAX_TOKENS_PER_BATCH, TokenBatchForm
from survey.admin.waves import render_detail, wave_or_404, wave_orgs
from survey.auth import staff_required
from survey.db import get_session
from survey.definitions.model import SurveyDefinition
from survey.extensions import hash_token
from survey.invitations import issue_tokens, token_link
from survey.models import WaveMode
from survey.waves import WaveError, org_or_error


def links_csv(links: list[str]) -> str:
    """The same layout as the CLI's file: a 'link' header, one link per row."""
    out = io.StringIO()
    writer = csvsafe.writer(out, lineterminator="\r\n")
    writer.writerow(["link"])
    writer.writerows([link] for link in links)
    return out.getvalue()


def _file_stem(wave_name: str, org_code: str) -> str:
    return "links-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{wave_name}-{org_code}").strip("-")[:80]


@bp.route("/waves/<int:wave_id>/tokens", methods=["POST"])
@staff_required("admin")
def tokens_issue(wave_id: int):
    wave = wave_or_404(wave_id)
    back = url_for("admin.wave_detail", wave_id=wave.id)
    form = TokenBatchForm()
    form.org.choices = [(org.code, org.code) for org, _n in wave_orgs(wave)]
    today = dt.date.today()
    form_shown = wave.mode is not WaveMode.open_link and not wave.is_finished(today)
    if not form.validate_on_submit():
        if form.org.errors:
            form.org.errors = ["Choose one of this wave's organisations from the list"]
        if form.count.errors:       # WTForms' own "Not a valid integer value." says less than ours
            form.count.errors = [e for e in form.count.errors if not e.startswith("Not a valid")] or [
                f"Enter how many links to issue, as a whole number from 1 to {MAX_TOKENS_PER_BATCH}"]
        if form_shown:
            # The form is on the wave's page: show it again, with an error summary, as sent.
            return render_detail(wave, token_form=form, status=400)
        flash("No links were issued: " + "; ".join(e for errs in form.errors.values() for e in errs) + ".")
        return redirect(back + "#tokens")
    db = get_session()
    try:
        tokens = issue_tokens(db, hash_token, wave, form.org.data, form.count.data, actor_id=actor_id())
        org = org_or_error(db, form.org.data)
    except WaveError as exc:
        db.rollback()
        if form_shown:
            form.count.errors = [str(exc)]
            return render_detail(wave, token_form=form, status=400)
        # A closed or open-link wave has no form to show the problem beside: say it at the top.
        flash(f"No links were issued: {exc}")
        return redirect(back + "#tokens")
    links = [token_link(base_url(current_app.config, request), t) for t in tokens]
    text = links_csv(links)
    stem = _file_stem(wave.name, org.code)
    if form.output.data == "qr":
        title = SurveyDefinition.from_json(wave.definition_json).title
        slips = [(segno.make_qr(link, error="m").svg_data_uri(scale=4, border=2), link) for link in links]
        csv_uri = "data:text/csv;charset=utf-8;base64," + base64.b64encode(text.encode()).decode()
        response = make_response(render_template("admin/slips.html", wave=wave, org=org, title=title, slips=slips,
                                                 csv_uri=csv_uri, csv_name=stem + ".csv"))
    else:
        response = make_response(text)
        response.mimetype = "text/csv"
        response.headers["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
    db.commit()
    log("admin.tokens.issue", wave_id=wave.id, org=org.code, count=len(links), output=form.output.data)
    return response
