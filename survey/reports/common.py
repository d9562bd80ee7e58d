"""Shared by the reports views: find the wave, refuse numbers for an open wave, audit."""
from __future__ import annotations

import datetime as dt

from flask import abort, current_app

from survey import audit
from survey.auth import current_staff
from survey.db import get_session
from survey.errors import render_error
from survey.models import Wave
from survey.releases.build import latest_release
from survey.releases.words import Labels

_labels: Labels | None = None


def labels() -> Labels:
    global _labels
    if _labels is None:
        _labels = Labels.load()
    return _labels


def today() -> dt.date:
    return dt.date.today()


def wave_or_404(wave_id: int) -> Wave:
    wave = get_session().get(Wave, wave_id)
    if wave is None:
        abort(404)
    return wave


def release_or_refusal(wave: Wave):
    """(release, None) for a finished wave with a release; else (None, error response)."""
    if not wave.is_finished(today()):
        return None, render_error(409, "Results appear after the wave closes",
                                  f"{wave.name} is open until {wave.closes_on:%d %B %Y}. No numbers are shown while a "
                                  "wave is open: live counts would show who has just answered.")
    release = latest_release(get_session(), wave.id)
    if release is None:
        return None, render_error(409, "The results are not ready yet",
                                  f"They are prepared in the background after the wave closes. The page of "
                                  f"{wave.name} shows how far it has got, or why it stopped.")
    return release, None


def record_view(action: str, wave: Wave, **detail) -> None:
    db = get_session()
    audit.record(db, current_staff().id, action, "wave", wave.id, detail or None)
    db.commit()


def min_cell() -> int:
    return int(current_app.config["MIN_CELL"])
