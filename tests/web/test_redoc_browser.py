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
    foreign = [u for u in watch.requests if not u.startswith(own)]
    # Redoc's bundle asks for its maker's logo; the page's policy stops the browser before it connects.
    assert {u: failed.get(u) for u in foreign} == {u: "csp" for u in foreign}
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
