"""Under the Content-Security-Policy the pages still work, and the browser reports no violation:
the map (towns drawn, the slider moves the date), the admin's town and change forms, the API docs."""

import pytest
from django.contrib.auth.models import User

from geodata.models import Town

from .maptowns import towns_drawn, wait_town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation the page sees, as the browser reports it (directive, blocked URL, where).
WATCH_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(
    e.violatedDirective + " " + e.blockedURI + " " + (e.sourceFile || "") + ":" + e.lineNumber));
"""


def watch_csp(page) -> list[str]:
    console = []
    page.add_init_script(WATCH_VIOLATIONS)
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    return console


def violations(page, console: list[str]) -> list[str]:
    return page.evaluate("window.__csp") + console


def sign_in(page, live_server) -> None:
    # A transactional test empties the tables, the migrations' groups too: a superuser signs in.
    user = User.objects.create_superuser("csp-admin", password="browser-test-password")  # noqa: S106
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "browser-test-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_the_map_works_with_no_violation(live_server, seeded, open_page, artifacts):
    page, watch = open_page()
    console = watch_csp(page)
    page.goto(f"{live_server.url}/?date=2017-08-31")
    page.wait_for_selector('body[data-loaded-date="2017-08-31"]')
    wait_town(page, "Uqayribat")
    assert towns_drawn(page) == Town.objects.count()
    # The slider moves the map to another date in place, once the change dates are in.
    page.wait_for_selector("body[data-dates-loaded]")
    page.eval_on_selector("#tc-slider", "s => { s.value = 0; s.dispatchEvent(new Event('input')); "
                                         "s.dispatchEvent(new Event('change')); }")
    first = page.input_value("#tc-date")
    assert first < "2017-08-31"
    page.wait_for_selector(f'body[data-loaded-date="{first}"]')
    page.screenshot(path=str(artifacts / "csp-map.png"))
    assert response_policy(page, f"{live_server.url}/")
    assert violations(page, console) == []
    assert watch.page_errors == []


def response_policy(page, url: str) -> str:
    return page.request.get(url).headers.get("content-security-policy", "")


def test_the_admin_forms_work_with_no_violation(live_server, seeded, open_page, artifacts):
    page, watch = open_page()
    console = watch_csp(page)
    sign_in(page, live_server)
    town = Town.objects.get(slug="uqayribat")
    page.goto(f"{live_server.url}/admin/geodata/town/{town.pk}/change/")
    page.wait_for_selector("#town-map .leaflet-marker-icon")
    page.goto(f"{live_server.url}/admin/events/controlchange/add/")
    page.wait_for_selector("#change-map[data-loaded-date]")
    page.screenshot(path=str(artifacts / "csp-admin-change-form.png"), full_page=True)
    assert violations(page, console) == []
    assert watch.page_errors == []


def test_the_api_docs_work_with_no_violation(live_server, seeded, open_page):
    page, watch = open_page()
    console = watch_csp(page)
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".opblock-summary-path", has_text="/api/changes.csv").first.wait_for()
    swagger = violations(page, console)
    page.goto(f"{live_server.url}/api/redoc/")
    page.get_by_text("control-changes", exact=False).first.wait_for()
    page.wait_for_load_state("networkidle")
    redoc = page.evaluate("window.__csp")
    assert swagger == []
    # Redoc's bundle asks for its maker's logo from another host: the one request the policy is
    # there to stop (tests/web/test_redoc_browser.py); nothing else of the page is blocked.
    assert [v for v in redoc if "cdn.redoc.ly" not in v] == []
    assert watch.page_errors == []
