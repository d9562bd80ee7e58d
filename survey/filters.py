"""Template filters shared by every page."""
from __future__ import annotations

import datetime as dt

from markupsafe import Markup, escape


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


def init_app(app) -> None:
    app.add_template_filter(key_groups, "key_groups")
    app.add_template_filter(nhs_date, "nhs_date")
