"""The diff after a write reads what its answer needs: the end slice for the towns the period names
(added to the start slice), and the sites its start slice does not already settle. Its answer is the
one two whole slices and a probe of every town give (issue 18: the what-changed page, cold)."""

import datetime as dt

import pytest
from django.core.cache import cache

from events import selectors
from events.models import ControlChange, Faction
from events.selectors import nearby
from events.territory import cells, territory_between, territory_change_summary
from geodata.models import Town
from tests.factories import ControlChangeFactory, TownFactory

pytestmark = pytest.mark.django_db

SEP_3, SEP_20 = dt.date(2017, 9, 3), dt.date(2017, 9, 20)



def _whole_reads(monkeypatch) -> None:
    """Every slice read whole (no slice moved from another) and every town probed for a site."""
    monkeypatch.setattr(nearby, "_moved", lambda base, *, on, seen, theatre=None: None)
    monkeypatch.setattr(cells, "SITES_ASKED_MAX", -1)
    cache.clear()


def _period_of_every_kind() -> dict[str, Town]:
    """Inside (3, 20 September]: a town taken and lost again, a first record of a new town, a retracted
    change, a contested town; a town first recorded after the period, one with only a draft."""
    factions = {f.slug: f for f in Faction.objects.all()}
    uqayribat, raqqa, tabqa = (Town.objects.get(slug=s) for s in ("uqayribat", "raqqa", "tabqa"))
    held = selectors.control_as_of(on=SEP_3).changes[uqayribat.pk].faction_slug
    other = "islamic-state" if held != "islamic-state" else "pro-government"
    ControlChangeFactory(town=uqayribat, faction=factions[other], effective_date=dt.date(2017, 9, 5))
    ControlChangeFactory(town=uqayribat, faction=factions[held], effective_date=dt.date(2017, 9, 7))

    def near(town: Town, name: str, dy: float) -> Town:
        return TownFactory(name=name, latitude=town.latitude + dy, longitude=town.longitude, admin_area=town.admin_area)

    first = near(raqqa, "First Record", 0.08)
    ControlChangeFactory(town=first, faction=factions["islamic-state"], effective_date=dt.date(2017, 9, 10))
    ControlChangeFactory(
        town=raqqa,
        faction=factions["opposition"],
        effective_date=dt.date(2017, 9, 12),
        state=ControlChange.State.RETRACTED,
    )
    ControlChangeFactory(
        town=tabqa,
        faction=factions["pro-government"],
        effective_date=dt.date(2017, 9, 15),
        status=ControlChange.Status.CONTESTED,
        contested_by=factions["islamic-state"],
    )
    later = near(tabqa, "Later Record", -0.08)
    ControlChangeFactory(town=later, faction=factions["opposition"], effective_date=dt.date(2017, 9, 30))
    drafted = near(tabqa, "Only Drafted", 0.06)
    ControlChangeFactory(
        town=drafted,
        faction=factions["opposition"],
        effective_date=dt.date(2017, 9, 10),
        state=ControlChange.State.DRAFT,
    )
    return {"uqayribat": uqayribat, "first": first, "tabqa": tabqa, "later": later, "drafted": drafted}


def test_the_diff_is_the_one_two_whole_slices_give(seeded, monkeypatch):
    towns = _period_of_every_kind()
    narrowed = territory_between(start=SEP_3, end=SEP_20)
    _whole_reads(monkeypatch)
    whole = territory_between(start=SEP_3, end=SEP_20)
    assert narrowed == whole
    assert territory_change_summary(narrowed) == territory_change_summary(whole)
    # The case is the one meant: each kind shows as it should.
    moved = {h.town.pk: h for h in narrowed.handovers}
    assert towns["uqayribat"].pk not in moved  # taken and lost again inside the period
    assert moved[towns["first"].pk].from_faction is None
    assert {"contested"} & {f.to_class for f in narrowed.flows if towns["tabqa"].pk in {t.pk for t in f.towns}}
    assert towns["later"].pk not in moved and towns["drafted"].pk not in moved


@pytest.mark.parametrize("on", [dt.date(2016, 12, 31), dt.date(2017, 1, 1), SEP_3, dt.date(2017, 9, 12)])
@pytest.mark.parametrize("published_only", [True, False])
def test_the_sites_a_slice_settles_are_those_every_town_probed_gives(seeded, on, published_only):
    _period_of_every_kind()
    version = selectors.data_version(published_only=published_only)
    known = selectors.control_as_of(on=on, published_only=published_only)
    settled = cells._site_ids(published_only=published_only, version=version, known=known)
    cache.clear()
    probed = cells._site_ids(published_only=published_only, version=version)
    assert settled == probed
    assert Town.objects.get(name="Later Record").pk in probed  # a site though not yet in the slice
    assert (Town.objects.get(name="Only Drafted").pk in probed) == (not published_only)


def test_the_geometry_version_from_a_slice_is_the_one_read_from_the_towns(seeded):
    _period_of_every_kind()
    Town.objects.filter(slug="raqqa").update(admin_area=None)  # a town in no governorate too
    version = selectors.data_version()
    known = selectors.control_as_of(on=SEP_3)
    from_slice = cells._geometry_version(version, known)
    cache.clear()
    assert from_slice == cells._geometry_version(version)
