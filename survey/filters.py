"""Template filters shared by every page."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from markupsafe import Markup


def key_groups(value: str | None) -> Markup:
    """A reference or access key ("ABCD-EFGH-...") laid out so that a narrow screen wraps it
    only between its groups of four, never inside one. The text read, copied or selected is
    the key exactly as it is."""
    if not value:
        return Markup("")
    parts = [Markup('<span class="app-key__group">%s</span>') % p for p in str(value).split("-")]
    return Markup("-<wbr>").join(parts)


def nhs_date(value: dt.date | dt.datetime | str | None) -> str:
    """A date as the NHS style writes it for people: "4 January 2027"."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    return f"{value.day} {value:%B %Y}"


@lru_cache(maxsize=64)
def _title_of(definition_json: str) -> str | None:
    from survey.definitions.model import SurveyDefinition
    try:
        return SurveyDefinition.from_json(definition_json).title
    except (ValueError, KeyError, TypeError):
        return None


def survey_title(wave) -> str:
    """The title of the survey a wave runs (from the definition it keeps), not its id."""
    return (_title_of(wave.definition_json) if getattr(wave, "definition_json", None) else None) or wave.survey_id


def nhs_time(value: dt.datetime | None) -> str:
    """A moment as people read it: "4 January 2027, 14:05"."""
    return "" if value is None else f"{nhs_date(value)}, {value:%H:%M}"


def init_app(app) -> None:
    app.add_template_filter(key_groups, "key_groups")
    app.add_template_filter(nhs_date, "nhs_date")
    app.add_template_filter(nhs_time, "nhs_time")
    app.add_template_filter(survey_title, "survey_title")
