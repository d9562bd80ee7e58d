"""Layout at phone width that people trip over (issue 21): keys that wrapped inside a group (item 13)."""
from __future__ import annotations

from tests.browser.journeys import check

# The top of every character of the key, read from the page's own text nodes.
CHAR_TOPS = """(el) => {
  const out = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    for (let i = 0; i < n.length; i++) {
      const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
      out.push([n.data[i], Math.round(r.getBoundingClientRect().top)]);
    }
  }
  return out;
}"""


def _groups_whole(page, element) -> list[str]:
    tops = element.evaluate(CHAR_TOPS)
    text = "".join(c for c, _ in tops)
    groups, current = [], []
    for ch, top in tops:
        if ch == "-":
            groups.append(current)
            current = []
        else:
            current.append((ch, top))
    groups.append(current)
    broken = ["".join(c for c, _ in g) for g in groups if len({t for _, t in g}) > 1]
    assert not broken, f"{text}: groups split across lines: {broken}"
    return text


def test_the_reference_and_key_wrap_only_between_groups(live_server, phone):
    phone.goto(f"{live_server}/speakup/raise")
    phone.get_by_label("What happened?").fill("The treatment room fridge is unlocked overnight.")
    phone.get_by_label("Stay anonymous").check()
    phone.get_by_role("button", name="Send to the guardian").click()
    assert phone.url.endswith("/speakup/raised")
    check(phone)
    keys = phone.locator(".app-key")
    wrapped = False
    for width in (320, 360, 375, 390, 414):            # phones people use; 375 is the fixture's
        phone.set_viewport_size({"width": width, "height": 667})
        texts = [_groups_whole(phone, keys.nth(i)) for i in range(keys.count())]
        assert len(texts) == 2 and len(texts[1]) == 24, texts
        wrapped |= len({t for _, t in keys.nth(1).evaluate(CHAR_TOPS)}) >= 2
        assert keys.nth(1).inner_text() == texts[1]      # what is read and copied is the key as it is
    assert wrapped, "the key fits one line at every width: this test no longer shows anything"


def test_the_guardians_queue_shows_status_first_on_a_phone(live_server, phone, db, make_staff):
    """Issue 21 item 17: the status column was off screen in a sideways-scrolling table."""
    from survey.concerns import ConcernInput, raise_concern
    from survey.extensions import access_key_hasher, keyring
    from tests.browser.journeys import sign_in
    for text in ("First queue case", "Second queue case"):
        raise_concern(db, keyring(), access_key_hasher(), ConcernInput(text=text, elements=["bullying"]))
    db.commit()
    sign_in(phone, live_server, make_staff("guardian"), db)
    phone.goto(f"{live_server}/guardian/")
    check(phone)
    width = phone.viewport_size["width"]
    for row in phone.locator("tbody tr").all():
        case, status = row.locator("a").first.bounding_box(), row.locator(".nhsuk-tag").first.bounding_box()
        raised = row.locator("td").nth(2).bounding_box()
        assert status["x"] >= 0 and status["x"] + status["width"] <= width, (status, width)
        assert case["y"] < status["y"] < raised["y"], (case, status, raised)
        assert row.locator(".nhsuk-tag").first.is_visible()


def test_the_wave_form_uses_date_inputs_that_pass_axe(live_server, phone, db, make_staff):
    """Issue 21 item 20: the NHS.UK date input, its errors linked from the summary."""
    from tests.browser.journeys import sign_in
    from tests.releases_helpers import make_orgs
    make_orgs(db, {"ICSB": {"PCNB": ["B1", "B2"]}})
    db.commit()
    sign_in(phone, live_server, make_staff("admin"), db)
    phone.goto(f"{live_server}/admin/waves/new")
    check(phone)
    phone.get_by_label("Name of the wave").fill("Browser wave")
    phone.locator("#opens-day").fill("31")
    phone.locator("#opens-month").fill("2")
    phone.locator("#opens-year").fill("2030")
    phone.get_by_role("button", name="Create wave").click()
    phone.wait_for_load_state("load")
    summary = phone.locator(".nhsuk-error-summary")
    assert "The date the wave opens must be a real date" in summary.inner_text()
    check(phone)
    summary.get_by_role("link", name="The date the wave opens must be a real date").click()
    assert phone.evaluate("document.activeElement.id") == "opens-day"
    assert phone.title().startswith("Error: ")
    import datetime as dt
    today = dt.date.today()
    for name, day in (("opens", today), ("closes", today + dt.timedelta(days=30))):
        phone.locator(f"#{name}-day").fill(str(day.day))
        phone.locator(f"#{name}-month").fill(str(day.month))
        phone.locator(f"#{name}-year").fill(str(day.year))
    phone.get_by_label("PCN PCNB (PCNB)").check()
    phone.get_by_label("Staff experience survey", exact=False).first.check()
    phone.get_by_role("button", name="Create wave").click()
    phone.wait_for_load_state("load")
    check(phone)
    assert "Issue invitation links" in phone.inner_text("main")
    # Issuing links with no count: an error summary beside the form, not a banner.
    phone.get_by_role("button", name="Issue links").click()
    phone.wait_for_load_state("load")
    check(phone)
    assert "Enter how many links to issue" in phone.inner_text(".nhsuk-error-summary")
    assert phone.title().startswith("Error: ") and not phone.locator(".app-flash").count()
