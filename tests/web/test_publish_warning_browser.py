"""The review queue warns of a draft citing only a source dated before it; the reviewer publishes it anyway
through the confirmation page, and the warning stays on the change (screenshots at 1366 and 360 px)."""

import datetime as dt

import pytest

from events.models import ControlChange
from tests.factories import ControlChangeFactory, SourceFactory
from tests.web.admin_login import admin_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
QUEUE = "/admin/events/controlchangeforreview/"




@pytest.mark.parametrize("width", [1366, 360])
def test_the_reviewer_is_warned_and_publishes_anyway(live_server, seeded, open_page, artifacts, width):
    report = SourceFactory(title="Report of 3 September", published=dt.date(2017, 9, 3))
    change = ControlChangeFactory(state=ControlChange.State.DRAFT, effective_date=dt.date(2017, 9, 5), sources=[report])
    page, watch = open_page(viewport={"width": width, "height": 800})
    admin_login(page, live_server.url)
    page.goto(f"{live_server.url}{QUEUE}")
    assert page.locator(".review-warning").count() == 1
    assert "2017-09-03" in page.locator(".review-warning").get_attribute("title")
    page.screenshot(path=str(artifacts / f"review-queue-warning-{width}.png"), full_page=True)
    page.check(f'input[name="_selected_action"][value="{change.pk}"]')
    page.select_option('select[name="action"]', "publish_selected")
    page.click('button[name="index"]')
    page.wait_for_selector('input[value="Publish anyway"]')
    assert "2017-09-03" in page.content()
    page.screenshot(path=str(artifacts / f"review-publish-anyway-{width}.png"), full_page=True)
    assert ControlChange.objects.get(pk=change.pk).state == "draft"
    page.click('input[value="Publish anyway"]')
    page.wait_for_selector(".messagelist .warning")
    assert "published despite a warning" in page.locator(".messagelist").inner_text()
    assert ControlChange.objects.get(pk=change.pk).state == "published"
    assert not watch.page_errors
