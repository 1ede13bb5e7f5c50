"""The factions page's figures over time are computed by the job queue once per data version
(events.factions_figures): at 1,000,000 changes they take 5-15 s, which every first reader after a write waited for.
Meanwhile the page shows the newest figures computed before, or none, saying so; never a 500."""

import re

import pytest
from django.db import transaction

from conflictmap import jobs
from events import factions_figures, territory
from geodata.models import Theatre
from geodata.services.revision import revision_bump

pytestmark = pytest.mark.django_db

URL = "/factions/"
NOTE = 'id="figures-note"'


@pytest.fixture
def queued(monkeypatch):
    """The job queue as `make serve` has it: the computation is queued for the worker, not run in the request."""
    calls = []
    monkeypatch.setattr(jobs, "async_task", lambda task, *args, **kwargs: calls.append((task, args)))
    return calls


def a_write():
    with transaction.atomic():
        revision_bump()


def _page(client, url=URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    # The per-request parts: CSP nonces and the CSRF token.
    return re.sub(r'(nonce|csrfmiddlewaretoken" value)="[^"]*"', r'\1=""', response.content.decode())


def _charts(page: str) -> list[str]:
    return re.findall(r"<svg.*?</svg>", page, flags=re.S)


def test_with_jobs_sync_the_page_is_the_one_computed_in_the_request(client, seeded, monkeypatch):
    for url in (URL, f"{URL}?theatre=syria"):
        queued_page = _page(client, url)
        # The figures as the request computed them before the job queue (territory_over_time in the view).
        monkeypatch.setattr(
            factions_figures,
            "figures",
            lambda *, theatre=None: factions_figures.Figures(
                territory.territory_over_time(theatre=theatre), None, current=True
            ),
        )
        assert _page(client, url) == queued_page
        monkeypatch.undo()
        assert NOTE not in queued_page and len(_charts(queued_page)) == 3


def test_after_a_write_the_page_shows_the_previous_figures_saying_so_and_queues_one_job(client, seeded, queued):
    factions_figures.compute()  # the worker computed the figures of this version
    before = _page(client)
    assert queued == [] and NOTE not in before
    a_write()
    for _ in range(3):
        page = _page(client)
        assert NOTE in page and "figures as of" in page and "being updated" in page
        assert _charts(page) == _charts(before)  # the previous version's
    assert queued == [("events.factions_figures.compute", (None,))]
    factions_figures.compute()  # the worker takes the job
    assert NOTE not in _page(client)


def test_with_nothing_computed_yet_the_page_lists_the_factions_saying_so(client, seeded, queued):
    page = _page(client)
    assert NOTE in page and "being computed" in page and _charts(page) == []
    assert 'data-faction="islamic-state"' in page  # the table, its towns counted on the latest data
    assert len(queued) == 1
    theatre = Theatre.objects.get(slug="syria")
    assert NOTE in _page(client, f"{URL}?theatre=syria")
    assert queued[1] == ("events.factions_figures.compute", (theatre.pk,))


def test_a_queue_out_of_reach_is_not_a_500_and_the_next_request_tries_again(client, seeded, monkeypatch):
    tries = []

    def down(task, *args, **kwargs):
        tries.append(task)
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(jobs, "async_task", down)
    assert NOTE in _page(client) and NOTE in _page(client)
    assert len(tries) == 2  # the lock was let go


def test_figures_read_across_a_write_are_not_kept(seeded, monkeypatch):
    versions = iter(["v1", "v2"])  # read before computing, and after: a write came in between
    monkeypatch.setattr(factions_figures, "_version", lambda: next(versions))
    assert "not kept" in factions_figures.compute()
    monkeypatch.undo()
    assert factions_figures.figures() is not None  # computed for the version read now (JOBS_SYNC)


def test_an_editor_and_the_record_as_published_get_their_own_figures_in_the_request(client, seeded, queued, reviewer):
    assert NOTE not in _page(client, f"{URL}?as_published=2017-09-03")
    client.force_login(reviewer)
    assert NOTE not in _page(client)
    assert queued == []
