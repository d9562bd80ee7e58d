"""One-time invitation tokens, their links and printable QR slips, and open links.

A token is `survey.crypto.new_token()` (192 random bits). Only its HMAC under the
server pepper is stored, with the wave and the organisation; the token itself exists
only in what is handed to the administrator (the CSV and the slips), once.
"""
from __future__ import annotations

import datetime as dt
import html
import secrets
from pathlib import Path

import segno
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from survey import audit, csvsafe
from survey.crypto import new_token
from survey.models import Invitation, OpenLink, Organisation, Wave, WaveMode
from survey.waves import WaveError, wave_org

MAX_TOKENS = 10000   # per call; a practice is 5 to 50 people, a whole ICS a few thousand


def token_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/respond/t/{token}"


def open_link_url(base_url: str, slug: str) -> str:
    return f"{base_url.rstrip('/')}/respond/o/{slug}"


def issue_tokens(session: Session, hash_token, wave: Wave, org_code: str, count: int,
                 today: dt.date | None = None, actor_id: int | None = None) -> list[str]:
    """Store `count` new invitation hashes for the wave and organisation; return the tokens."""
    if wave.mode is not WaveMode.invitation:
        raise WaveError(f"The wave '{wave.name}' is open-link, so it has no one-time tokens: print its shared "
                        f"links with `flask --app survey waves links \"{wave.name}\"`.")
    if count <= 0:
        raise WaveError(f"The count must be at least 1 (got {count}).")
    if count > MAX_TOKENS:
        raise WaveError(f"At most {MAX_TOKENS} tokens at a time (got {count}); issue them in several files.")
    today = today or dt.date.today()
    if wave.is_finished(today):
        raise WaveError(f"The wave '{wave.name}' is closed (it closed on {wave.closes_on.day} {wave.closes_on:%B %Y}); tokens for it "
                        "could not be used.")
    row = wave_org(session, wave, org_code)
    tokens = [new_token() for _ in range(count)]
    session.execute(insert(Invitation), [
        {"token_hash": hash_token(t), "wave_id": wave.id, "org_id": row.org_id, "is_used": False} for t in tokens])
    row.invited += count
    audit.record(session, actor_id, "tokens.issue", "wave", wave.id, {"org": org_code, "count": count})
    return tokens


def write_links_csv(path: Path, links: list[str]) -> None:
    """One link per row under a 'link' header. Refuses to overwrite: the tokens of an
    earlier file cannot be recovered from the database."""
    path = Path(path)
    if path.exists():
        raise WaveError(f"{path} exists already; choose a new file name (the links in an existing file "
                        "cannot be issued again, so it is never overwritten).")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", newline="", encoding="utf-8") as fh:
        writer = csvsafe.writer(fh)
        writer.writerow(["link"])
        writer.writerows([link] for link in links)


SLIP_CSS = """
  body { font-family: Arial, sans-serif; margin: 0; color: #212b32; }
  .sheet { display: grid; grid-template-columns: repeat(2, 1fr); gap: 0; }
  .slip { border: 1px dashed #768692; padding: 12mm 8mm; break-inside: avoid; page-break-inside: avoid;
          display: flex; gap: 6mm; align-items: center; }
  .slip img { width: 36mm; height: 36mm; flex: none; }
  .slip h2 { font-size: 13pt; margin: 0 0 2mm; }
  .slip p { font-size: 9.5pt; margin: 0 0 2mm; }
  .slip .link { font-family: monospace; font-size: 7.5pt; word-break: break-all; }
  @media print { @page { size: A4; margin: 10mm; } }
"""


def write_qr_slips(folder: Path, links: list[str], survey_title: str, org: Organisation,
                   closes_on: dt.date) -> Path:
    """One SVG QR code per link (qr-0001.svg, ...) and slips.html, a printable sheet of
    slips to cut out and hand to staff. Returns the sheet's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    sheet = folder / "slips.html"
    existing = [p for p in [sheet] + [folder / f"qr-{i:04d}.svg" for i in range(1, len(links) + 1)] if p.exists()]
    if existing:
        raise WaveError(f"{existing[0]} exists already; choose an empty folder for the QR codes.")
    slips = []
    for i, link in enumerate(links, start=1):
        name = f"qr-{i:04d}.svg"
        segno.make_qr(link, error="m").save(str(folder / name), scale=4, border=2, title="Survey link")
        slips.append(
            f'<div class="slip"><img src="{name}" alt="QR code for your personal survey link">'
            f"<div><h2>{html.escape(survey_title)}</h2>"
            f"<p>{html.escape(org.name)}. Anonymous: this slip is not linked to your name. Scan the code with "
            f"your phone's camera, or type the link. It works once, until {closes_on:%d %B %Y}.</p>"
            f'<p class="link">{html.escape(link)}</p></div></div>')
    sheet.write_text(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Survey slips: {html.escape(org.name)}</title><style>{SLIP_CSS}</style></head>\n"
        "<body><main class=\"sheet\">\n" + "\n".join(slips) + "\n</main></body></html>\n", encoding="utf-8")
    return sheet


def ensure_open_links(session: Session, wave: Wave, actor_id: int | None = None) -> list[tuple[Organisation, str]]:
    """The shared link slug of every organisation of an open-link wave (created once)."""
    if wave.mode is not WaveMode.open_link:
        raise WaveError(f"The wave '{wave.name}' is invitation-only: issue one-time links with "
                        f"`flask --app survey tokens issue --wave \"{wave.name}\" --org CODE --count N --out FILE.csv`.")
    have = {link.org_id: link.slug for link in session.scalars(select(OpenLink).where(OpenLink.wave_id == wave.id))}
    created = 0
    for row in wave.organisations:
        if row.org_id not in have:
            slug = secrets.token_urlsafe(12)
            session.add(OpenLink(slug=slug, wave_id=wave.id, org_id=row.org_id))
            have[row.org_id] = slug
            created += 1
    session.flush()
    if created:
        audit.record(session, actor_id, "wave.open_links", "wave", wave.id, {"created": created})
    orgs = {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(list(have))))}
    return sorted(((orgs[oid], slug) for oid, slug in have.items()), key=lambda pair: pair[0].code)
