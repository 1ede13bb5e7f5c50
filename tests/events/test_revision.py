"""The data revision: every write path bumps it inside its transaction; readers pay one row for it."""

import datetime as dt

import pytest
from django.db import transaction

from events import selectors, services
from events.models import ControlChange, Faction, Source
from events.services import NewChange
from geodata.models import AdminArea, Town
from geodata.selectors import revision_current
from geodata.services import admin_area_save, admin_areas_save_many, town_save, towns_save_many
from geodata.services.revision import revision_bump
from tests.factories import SYSTEM, ControlChangeFactory, SourceFactory

SEP_4 = dt.date(2017, 9, 4)


def _number() -> int:
    return revision_current().number


@pytest.fixture
def raqqa(seeded):
    return Town.objects.get(slug="raqqa")


def _draft(town, faction_slug="sdf", sources=None, **extra):
    return ControlChangeFactory(town=town, faction=Faction.objects.get(slug=faction_slug), effective_date=SEP_4,
                                state=ControlChange.State.DRAFT, sources=sources or [SourceFactory()], **extra)


def test_writes_the_public_sees_bump_the_revision_and_drafts_move_only_the_preview(raqqa, reviewer):
    """A draft's entry, edit, rejection or deletion changes no public map: the revision (the public
    caches' key and the exports' ETag) stays; the editor's preview version moves. Publishing and
    retracting move both."""

    def versions():
        return _number(), selectors.data_version(published_only=False)

    source = SourceFactory()  # a source is public data of its own: made before the measure
    before = versions()
    draft = _draft(raqqa, sources=[source])
    after = versions()
    assert after[0] == before[0] and after[1] != before[1]
    before = after
    services.control_change_update(change=draft, by=SYSTEM, note="checked")
    after = versions()
    assert after[0] == before[0] and after[1] != before[1]
    for step in (lambda: services.control_change_publish(change=draft, by=reviewer),
                 lambda: services.control_change_retract(change=draft, by=reviewer, reason="wrong town")):
        before = versions()
        step()
        after = versions()
        assert after[0] > before[0] and after[1] != before[1]
    for end in (lambda d: services.control_change_delete(change=d, by=SYSTEM),
                lambda d: services.control_change_reject(change=d, by=reviewer, reason="no source")):
        other = _draft(Town.objects.get(slug="tabqa"), sources=[source])
        before = versions()
        end(other)
        after = versions()
        assert after[0] == before[0] and after[1] != before[1]


def test_bulk_writes_bump_the_revision_once_they_write(raqqa, reviewer):
    change = ControlChange(town=raqqa, faction=Faction.objects.get(slug="sdf"), effective_date=SEP_4)
    before = _number()
    new = [NewChange(change=change, sources=[SourceFactory()])]
    services.control_changes_create_many(new=new, by=reviewer, publish=True)
    assert _number() > before
    drafts = [NewChange(change=ControlChange(town=raqqa, faction=Faction.objects.get(slug="sdf"),
                                             effective_date=SEP_4 + dt.timedelta(days=1)), sources=[])]
    before = _number()
    services.control_changes_create_many(new=drafts, by=reviewer)
    assert _number() == before  # drafts: no public map changed
    before = _number()
    services.control_changes_create_many(new=[], by=reviewer)
    services.sources_save_many(sources=[], by=SYSTEM)
    assert _number() == before  # nothing written: caches and ETags stay valid


def test_faction_source_town_and_area_writes_bump_it(seeded):
    faction = Faction.objects.get(slug="sdf")
    area = AdminArea.objects.get(code="SY05")
    town = Town.objects.get(slug="raqqa")
    writes = [
        lambda: services.faction_save(faction=faction, by=SYSTEM),
        lambda: services.factions_save_many(factions=[faction], by=SYSTEM),
        lambda: services.source_save(source=Source(publisher="Wire", title="New report"), by=SYSTEM),
        lambda: services.sources_save_many(sources=[Source(publisher="Wire", title="Another")], by=SYSTEM),
        lambda: town_save(town=town),
        lambda: towns_save_many(towns=[town]),
        lambda: admin_area_save(area=area),
        lambda: admin_areas_save_many(areas=[area]),
    ]
    for write in writes:
        before = _number()
        write()
        assert _number() > before


def test_a_rolled_back_write_leaves_the_revision(raqqa):
    before = revision_current()
    with pytest.raises(RuntimeError), transaction.atomic():
        _draft(raqqa)
        assert _number() > before.number  # bumped inside the transaction...
        raise RuntimeError("the import failed half way")
    assert revision_current() == before  # ...and rolled back with it


def test_a_refused_write_leaves_the_revision(raqqa):
    before = revision_current()
    faction = Faction(name="Nameless", short_name="N", slug="nameless", colour="not a colour")
    with pytest.raises(Exception):  # noqa: B017  (the service refuses it; which error is not the point)
        services.faction_save(faction=faction, by=SYSTEM)
    assert revision_current() == before


def test_the_revision_starts_when_its_row_is_missing(db):
    from geodata.models import DataRevision

    DataRevision.objects.all().delete()
    assert revision_current().number == 0 and selectors.data_last_modified() is None
    revision_bump()
    assert revision_current().number == 1


def test_a_304_reads_one_row_whatever_the_log(client, seeded, django_assert_max_num_queries):
    first = client.get("/api/control.geojson?date=2017-09-03")
    with django_assert_max_num_queries(2):  # the revision; no COUNT or MAX over any table
        again = client.get("/api/control.geojson?date=2017-09-03", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_a_url_naming_the_revision_is_immutable(client, seeded):
    plain = client.get("/api/provinces.geojson?date=2017-09-03")
    assert "no-cache" in plain["Cache-Control"] and "public" in plain["Cache-Control"]
    pinned = client.get(f"/api/provinces.geojson?date=2017-09-03&rev={selectors.data_version()}")
    assert "immutable" in pinned["Cache-Control"] and "max-age=31536000" in pinned["Cache-Control"]
    assert pinned.content == plain.content and pinned["ETag"] == plain["ETag"]
    stale = client.get("/api/provinces.geojson?date=2017-09-03&rev=0.old")
    assert "immutable" not in stale["Cache-Control"]


def test_change_dates_are_cached_until_a_publish(raqqa, reviewer, django_assert_max_num_queries):
    dates = selectors.change_dates()
    with django_assert_max_num_queries(1):  # the revision row only
        assert selectors.change_dates() == dates
    draft = _draft(raqqa)
    assert selectors.change_dates() == dates  # a draft is not on the public map
    assert SEP_4 in selectors.change_dates(published_only=False)
    services.control_change_publish(change=draft, by=reviewer)
    assert selectors.change_dates() == sorted({*dates, SEP_4})


def test_after_a_publish_the_public_s_etag_and_last_modified_read_the_revision_and_one_statement(
    raqqa, reviewer, django_assert_num_queries
):
    """The first request after a write names the next delayed publication (its ETag) and the last one to reach
    the public (its Last-Modified): both read by one statement of two index seeks (two statements before), then
    kept for the revision."""
    published = services.control_change_publish(change=_draft(raqqa), by=reviewer)
    with django_assert_num_queries(2):
        revision = selectors.data_revision()
        version = selectors.data_version(revision=revision)
        changed = selectors.data_last_modified(revision=revision)
    assert version.endswith("~-")  # no delayed change waiting
    assert changed is not None and changed >= published.public_from
    with django_assert_num_queries(1):  # the revision row only
        revision = selectors.data_revision()
        assert selectors.data_version(revision=revision) == version
        assert selectors.data_last_modified(revision=revision) == changed
