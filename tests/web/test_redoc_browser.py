"""The API's Redoc page works offline: it reaches no other host and shows no link to one."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_redoc_renders_from_this_host_only(live_server, seeded, open_page):
    page, watch = open_page()
    failed = {}
    page.on("requestfailed", lambda r: failed.__setitem__(r.url, r.failure))
    page.goto(f"{live_server.url}/api/redoc/")
    page.get_by_text("control-changes", exact=False).first.wait_for()
    page.wait_for_load_state("networkidle")
    own = (live_server.url, f"blob:{live_server.url}")  # Redoc's search worker is a blob of this page
    # Redoc's bundle asked for its maker's logo (stopped by the policy, two console errors); the bundle
    # served here no longer names it, so nothing is asked of another host and nothing is refused.
    assert [u for u in watch.requests if not u.startswith(own)] == []
    assert failed == {}
    assert watch.console_errors == []
    # And its "API docs by Redocly" link to another host is not shown in the side menu.
    foreign_links = page.eval_on_selector_all(
        ".menu-content a[href]",
        "(links, origin) => links.filter(a => a.offsetParent !== null && !a.href.startsWith(origin)"
        " && !a.href.startsWith('javascript:')).map(a => a.href)",
        live_server.url,
    )
    assert foreign_links == []
    assert page.get_by_text("API docs by Redocly").is_hidden()
    assert watch.page_errors == []


@pytest.mark.parametrize("width", [1366, 360])
def test_admin_and_api_docs_pages_log_no_console_error(live_server, seeded, open_page, artifacts, width):
    """The favicon every browser asks for is there (it was a 404 on every admin and API-docs page)."""
    from django.contrib.auth.models import User

    # A superuser: this test's database is flushed between tests, the role groups with it.
    User.objects.create_superuser("favicon-reader", password="a long enough password 1")
    page, watch = open_page(viewport={"width": width, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "favicon-reader")
    page.fill("#id_password", "a long enough password 1")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    for url in ("/admin/", "/admin/events/controlchange/", "/api/docs/", "/api/redoc/"):
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
    page.screenshot(path=str(artifacts / f"redoc-{width}.png"))
    icon = page.evaluate("() => fetch('/favicon.ico').then(r => [r.status, r.headers.get('content-type')])")
    assert icon == [200, "image/x-icon"]
    assert watch.console_errors == [], watch.console_errors
    assert watch.page_errors == []
