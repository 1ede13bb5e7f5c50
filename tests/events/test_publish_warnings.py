"""Publishing a change that cites only sources dated before it warns the reviewer (queue, admin action,
API answer); they may publish anyway, and the warning is kept in the review reason and the audit trail."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from events import services
from events.models import ControlChange
from events.services.lifecycle import WARNED
from tests.events.roles import client_as
from tests.factories import ControlChangeFactory, SourceFactory

pytestmark = pytest.mark.django_db
QUEUE = "/admin/events/controlchangeforreview/"
SEP_3, SEP_5 = dt.date(2017, 9, 3), dt.date(2017, 9, 5)


def draft(*, on=SEP_5, published=(SEP_3,), precision="day") -> ControlChange:
    sources = [SourceFactory(published=p) for p in published]
    return ControlChangeFactory(
        state=ControlChange.State.DRAFT, effective_date=on, date_precision=precision, sources=sources
    )


def test_a_change_citing_only_an_earlier_report_is_published_with_the_warning_recorded(reviewer):
    change = services.control_change_publish(change=draft(), by=reviewer)
    stored = ControlChange.objects.get(pk=change.pk)
    assert stored.state == "published"
    assert len(change.warnings) == 1 and "2017-09-03" in change.warnings[0] and "5 September 2017" in change.warnings[0]
    assert stored.review_reason == f"{WARNED} {change.warnings[0]}"
    record = stored.history.latest("history_id")
    assert record.history_user == reviewer and "despite a warning" in record.history_change_reason


@pytest.mark.parametrize(
    ("published", "on", "precision"),
    [
        ((SEP_5,), SEP_5, "day"),  # a report of the same day
        ((SEP_3, dt.date(2017, 9, 6)), SEP_5, "day"),  # one later report is enough
        ((SEP_3, None), SEP_5, "day"),  # an undated source may be the later one
        ((dt.date(2017, 9, 20),), dt.date(2017, 9, 1), "month"),  # September 2017, reported within it
        ((dt.date(2013, 12, 1),), dt.date(2014, 1, 1), "approximate"),  # "about 2014"
    ],
)
def test_no_warning_when_a_source_may_tell_of_it(reviewer, published, on, precision):
    change = services.control_change_publish(change=draft(on=on, published=published, precision=precision), by=reviewer)
    assert change.warnings == [] and ControlChange.objects.get(pk=change.pk).review_reason == ""


def test_a_month_change_reported_before_its_month_is_warned_of(reviewer):
    change = draft(on=dt.date(2017, 9, 1), published=(dt.date(2017, 8, 31),), precision="month")
    assert services.control_change_source_warnings(change=change)


def test_the_api_publish_answer_carries_the_warning(reviewer):
    api = APIClient()
    api.force_authenticate(reviewer)
    warned, plain = draft(), draft(on=dt.date(2017, 9, 2), published=(SEP_3,))
    answer = api.post(f"/api/control-changes/{warned.pk}/publish/").json()
    assert answer["state"] == "published" and len(answer["warnings"]) == 1 and "2017-09-03" in answer["warnings"][0]
    assert api.post(f"/api/control-changes/{plain.pk}/publish/").json() == {
        "id": plain.pk,
        "state": "published",
        "warnings": [],
    }
    assert ControlChange.objects.get(pk=warned.pk).review_reason.startswith(WARNED)


def test_the_review_queue_warns_and_asks_before_publishing_anyway(reviewer):
    warned = draft()
    browser = client_as(reviewer)
    queue = browser.get(QUEUE).content.decode()
    assert "sources dated before it" in queue
    form = {"action": "publish_selected", "_selected_action": [warned.pk]}
    page = browser.post(QUEUE, form)
    assert page.status_code == 200 and "Publish anyway" in page.content.decode()
    assert "2017-09-03" in page.content.decode()
    assert ControlChange.objects.get(pk=warned.pk).state == "draft"  # nothing published yet
    done = browser.post(QUEUE, {**form, "apply": "1"}, follow=True)
    texts = [str(m) for m in done.context["messages"]]
    assert any("published despite a warning" in t for t in texts), texts
    stored = ControlChange.objects.get(pk=warned.pk)
    assert stored.state == "published" and stored.review_reason.startswith(WARNED)


def test_drafts_without_a_warning_publish_at_once_from_the_queue(reviewer):
    plain = draft(on=dt.date(2017, 9, 2), published=(SEP_3,))
    client_as(reviewer).post(QUEUE, {"action": "publish_selected", "_selected_action": [plain.pk]})
    assert ControlChange.objects.get(pk=plain.pk).state == "published"
