"""The embedded map in a real browser: another site's <iframe> shows it; the full map refuses to be framed."""

import http.server
import threading

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def other_site():
    """A second web server on this machine (another origin) that serves one page: ``serve(html)`` gives its URL."""
    pages = {}

    class Story(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get("story", "").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Story)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(html: str) -> str:
        pages["story"] = html
        return f"http://127.0.0.1:{server.server_address[1]}/story.html"

    yield serve
    server.shutdown()
    server.server_close()


def test_another_site_frames_the_embed_and_not_the_map(live_server, open_page, artifacts, seeded, other_site):
    page, watch = open_page()
    embed = f"{live_server.url}/embed/?theatre=syria&date=2017-09-02"
    page.goto(
        other_site(
            "<!doctype html><title>A story</title><h1>Uqayribat</h1>"
            f'<iframe id="embed" src="{embed}" width="800" height="600"></iframe>'
            f'<iframe id="full" src="{live_server.url}/?date=2017-09-02" width="400" height="300"></iframe>'
        )
    )
    framed = page.frame_locator("#embed")
    framed.locator('body[data-loaded-date="2017-09-02"]').wait_for(state="attached")
    assert framed.locator(".embed-caption").inner_text().startswith("Control in Syria on 2 September 2017")
    assert framed.locator(".leaflet-interactive, canvas").count() > 0  # the layers are drawn
    page.screenshot(path=str(artifacts / "embed-in-a-story.png"))
    # The full map's page is refused inside the frame (frame-ancestors 'none', X-Frame-Options DENY).
    full = page.frame_locator("#full")
    assert full.locator("body.map-page").count() == 0
    assert not watch.page_errors


def test_the_menu_snippet_follows_the_date_shown(live_server, open_page, seeded):
    page, watch = open_page()
    page.goto(f"{live_server.url}/?theatre=syria&date=2017-09-02")
    page.wait_for_selector('body[data-loaded-date="2017-09-02"]')
    page.click("#tc-next")
    page.wait_for_selector('body[data-loaded-date="2017-09-03"]')
    page.click(".downloads summary")
    snippet = page.input_value("#embed-fixed")
    assert f'src="{live_server.url}/embed/?theatre=syria&amp;date=2017-09-03"' in snippet
    assert page.input_value("#embed-responsive").startswith("<iframe ")
    assert page.get_attribute("#dl-timelapse", "href") == "/timelapse.gif?theatre=syria&around=2017-09-03&download=1"
    assert not watch.page_errors and not watch.console_errors
