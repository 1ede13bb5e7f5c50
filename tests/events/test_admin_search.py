"""The control log's admin search, sort and counts at a million changes keep what an editor gets: the
same rows as Django's own search over the same names (notes when asked for), towns in name order, and
a count that says when it stopped."""

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.db import connection
from django.db.models import Q
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from events import selectors
from events.admin import ControlChangeAdmin, ReviewQueueAdmin, lists, log_search
from events.models import ControlChange, ControlChangeForReview
from geodata.models import AdminArea
from tests.factories import ControlChangeFactory, TownFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/events/controlchange/"
QUEUE = "/admin/events/controlchangeforreview/"
TERMS = ["Raqqa", "raqqa", "Daesh", "Oqeirbat", "عقيربات", "SDF", "Islamic State", '"Islamic State"', "tabqa sdf",
         "is", "al-", "Syrian government", "rebel", "Artillery", "held town", "no-such-name", "'SDF'"]


def found(client, url: str, **params) -> set[int]:
    page = client.get(url, params)
    assert page.status_code == 200 and "?e=1" not in page.get("Location", "")
    return set(page.context["cl"].queryset.values_list("id", flat=True))


def django_search(admin_class, model, term: str) -> set[int]:
    """The rows Django's own search (and the alternate-name search beside it) found before."""
    model_admin = admin.site._registry[model]
    assert type(model_admin) is admin_class
    queryset, _ = super(admin_class, model_admin).get_search_results(
        RequestFactory().get("/"), model.objects.all(), term)
    return set(queryset.values_list("id", flat=True))


@pytest.mark.parametrize("term", TERMS)
def test_searching_names_and_notes_finds_what_django_search_found(seeded, reviewer_client, term):
    before = django_search(ControlChangeAdmin, ControlChange, term)
    assert found(reviewer_client, LIST, q=term, notes="1") == before


@pytest.mark.parametrize("term", TERMS)
def test_searching_names_only_finds_the_same_rows_but_for_note_only_matches(seeded, reviewer_client, term):
    names_only = found(reviewer_client, LIST, q=term)
    noteless = set(ControlChange.objects.filter(note="").values_list("id", flat=True))
    before = django_search(ControlChangeAdmin, ControlChange, term)
    assert names_only <= before
    assert names_only & noteless == before & noteless  # a change without a note: found exactly as before


def test_a_word_only_in_a_note_needs_the_notes_box(seeded, reviewer_client):
    change = ControlChange.objects.filter(note__icontains="artillery").first()
    assert change is not None
    assert change.pk not in found(reviewer_client, LIST, q="artillery")
    assert change.pk in found(reviewer_client, LIST, q="artillery", notes="1")
    body = reviewer_client.get(LIST, {"q": "artillery", "notes": "1"}).content.decode()
    assert 'name="notes" value="1" id="search-notes" checked' in body
    assert '<input type="hidden" name="notes"' not in body  # the box alone says whether notes are read


@pytest.mark.parametrize("term", ["Raqqa", "Daesh", "Syrian government", "is"])
def test_the_queue_finds_what_django_search_found(seeded, reviewer_client, term):
    drafts = ControlChangeForReview.objects.filter(state=ControlChange.State.DRAFT)
    for n, change in enumerate(ControlChange.objects.filter(town__slug__in=["raqqa", "tabqa"])[:3]):
        ControlChangeFactory(town=change.town, faction=change.faction, state=ControlChange.State.DRAFT,
                             effective_date=dt.date(2018, 1, 1 + n), note="Raqqa countryside, rebel report")
    before = django_search(ReviewQueueAdmin, ControlChangeForReview, term) & set(drafts.values_list("id", flat=True))
    assert found(reviewer_client, QUEUE, q=term) == before


@pytest.mark.parametrize("term", ["Raqqa", "is", "Syrian government", "tabqa sdf", "Oqeirbat"])
def test_many_matches_walk_the_log_by_date_and_find_the_same_rows(seeded, reviewer_client, monkeypatch, term):
    expected = found(reviewer_client, LIST, q=term)
    monkeypatch.setattr(log_search, "PAGE", 0)  # every search counts as matching much of the log
    monkeypatch.setattr(log_search, "LITERAL_IDS_UP_TO", 0)  # and sends its ids as subqueries
    with CaptureQueriesContext(connection) as queries:
        assert found(reviewer_client, LIST, q=term) == expected
    if connection.vendor == "sqlite" and expected:
        walked = r'\+"events_controlchange"\."(town|faction)_id" IN \(SELECT'
        assert any(re.search(walked, q["sql"]) for q in queries.captured_queries)


def test_a_search_runs_the_same_queries_for_more_words_and_more_towns(seeded, reviewer_client):
    def queries_for(term):
        with CaptureQueriesContext(connection) as queries:
            reviewer_client.get(LIST, {"q": term})
        return len(queries)

    one = queries_for("Raqqa")
    assert queries_for("Raqqa SDF") == one  # both find rows (a search that finds none skips the page)
    for n in range(30):
        TownFactory(name=f"Raqqa suburb {n}")
    assert queries_for("Raqqa") == one


def test_sorting_by_town_goes_by_name_then_newest_first(seeded, reviewer_client):
    page = reviewer_client.get(LIST, {"o": "1"})
    rows = list(page.context["cl"].queryset)
    keys = [(c.town.name, c.town_id, -c.effective_date.toordinal(), -c.day_part, -c.id) for c in rows]
    assert keys == sorted(keys)
    down = list(reviewer_client.get(LIST, {"o": "-1"}).context["cl"].queryset)
    assert [c.town.name for c in down] == sorted((c.town.name for c in rows), reverse=True)
    by_faction = list(reviewer_client.get(LIST, {"o": "3"}).context["cl"].queryset)
    keys = [(c.faction.name, -c.effective_date.toordinal(), -c.id) for c in by_faction]
    assert keys == sorted(keys)


def test_a_long_list_is_counted_ten_pages_ahead_and_says_more_than(seeded, reviewer_client, monkeypatch):
    monkeypatch.setattr(ControlChangeAdmin, "list_per_page", 2)
    monkeypatch.setattr(lists, "COUNT_PAGES_AHEAD", 1)
    monkeypatch.setattr(ControlChangeAdmin, "count_pages_ahead", 1)
    published = ControlChange.objects.filter(state=ControlChange.State.PUBLISHED).count()
    assert published > 8
    page = reviewer_client.get(LIST, {"state__exact": "published"})
    cl = page.context["cl"]
    assert cl.paginator.capped and cl.result_count == 5  # up to page 2, and one more to know there are more
    body = page.content.decode()
    assert "more than 4 control changes" in body
    assert "Select all matching control changes" in body and "Select all 5 " not in body
    cl = reviewer_client.get(LIST, {"state__exact": "published", "p": "3"}).context["cl"]
    assert cl.paginator.count_up_to == 8 and len(cl.result_list) == 2
    monkeypatch.setattr(ControlChangeAdmin, "count_pages_ahead", None)
    cl = reviewer_client.get(LIST, {"state__exact": "published"}).context["cl"]
    assert not cl.paginator.capped and cl.result_count == published


def test_the_last_page_asks_for_a_full_page(seeded, reviewer_client, monkeypatch):
    monkeypatch.setattr(ControlChangeAdmin, "list_per_page", 2)
    with CaptureQueriesContext(connection) as queries:
        page = reviewer_client.get(LIST, {"q": "Raqqa", "p": "2"})
    rows = page.context["cl"].result_count
    assert rows == 3, rows  # the seed's three changes of Raqqa: one on page 2
    assert len(page.context["cl"].result_list) == 1
    sent = " ".join(q["sql"] for q in queries.captured_queries)
    assert "LIMIT 2 OFFSET 2" in sent and "LIMIT 1 " not in sent


def test_change_years_is_one_query_with_every_year(db):
    assert selectors.change_years() == []
    for day in (dt.date(2019, 12, 31), dt.date(2015, 1, 1), dt.date(2015, 6, 1), dt.date(2017, 3, 3)):
        ControlChangeFactory(effective_date=day, state=ControlChange.State.DRAFT)
    with CaptureQueriesContext(connection) as queries:
        assert selectors.change_years() == [2015, 2017, 2019]
    assert len(queries) == 1


@pytest.mark.parametrize("dense", [False, True])
def test_the_governorate_filter_finds_the_changes_of_its_towns_and_districts(
    seeded, reviewer_client, monkeypatch, dense
):
    if dense:
        monkeypatch.setattr(log_search, "PAGE", 0)
        monkeypatch.setattr(log_search, "LITERAL_IDS_UP_TO", 0)
    provinces = AdminArea.objects.filter(level=AdminArea.Level.PROVINCE).values_list("pk", flat=True)
    assert len(provinces) > 5
    for pk in provinces:
        joined = ControlChange.objects.filter(Q(town__admin_area_id=pk) | Q(town__admin_area__parent_id=pk))
        assert found(reviewer_client, LIST, governorate=str(pk)) == set(joined.values_list("id", flat=True))
