"""Areas by a stated, bounded rule, and diffs that keep conquest apart from bookkeeping (issue 12, items 2-3)."""

import datetime as dt
import math

import pytest
import shapely

from events import territory
from events.models import ControlChange, Faction
from events.territory import territory_between, territory_change_summary
from geodata.models import Town
from tests.factories import ControlChangeFactory, TownFactory

DEC_31_2016, JAN_1 = dt.date(2016, 12, 31), dt.date(2017, 1, 1)
AUG_31, SEP_3 = dt.date(2017, 8, 31), dt.date(2017, 9, 3)


def _km2(on: dt.date, **kwargs) -> dict[str, float]:
    frame = territory.control_areas_as_of(on=on, **kwargs)
    return dict(zip(frame["faction"], frame["area_km2"], strict=True))


def _flows(change) -> dict[tuple, object]:
    return {(f.from_class, f.to_class): f for f in change.flows}


def test_the_rule_and_its_radius_are_stated_once(settings):
    settings.CONTROL_AREA_RADIUS_KM = 15
    rule = territory.area_rule()
    assert rule["radius_km"] == 15
    assert "15 km" in rule["text"] and "no record" in rule["text"]
    assert rule["text"] == territory.AREA_RULE.format(radius_km=15)


def test_no_painted_land_is_further_than_the_radius_from_a_recorded_town(seeded):
    frame = territory.control_areas_as_of(on=SEP_3)
    reach = shapely.union_all([
        shapely.Point(t.longitude, t.latitude).buffer(15.2 / 111 / math.cos(math.radians(t.latitude)))
        for t in Town.objects.all()
    ])
    for row in frame.itertuples():
        assert shapely.difference(row.geometry, reach).area < 1e-8, row.faction
    # Each town speaks for at most a disc of the radius.
    assert (frame["area_km2"] <= frame["towns"] * math.pi * 15**2 * 1.001).all()
    assert territory.unknown_km2(on=SEP_3) > 0  # the desert between towns is no one's on the map


def test_after_a_first_snapshot_nothing_counts_as_conquest(seeded):
    # The seed's baseline records most towns on 1 January 2017 for the first time.
    change = territory_between(start=DEC_31_2016, end=JAN_1)
    assert change.area_change, "the baseline paints land"
    for klass, km2 in change.area_change.items():
        assert km2["gained_km2"] == 0 and km2["lost_km2"] == 0, klass
    assert all(f.from_class is None for f in change.flows)
    newly = {f.to_class: f for f in change.flows}
    assert newly["pro-government"].km2 > 1_000
    assert "homs" in {t.slug for t in newly["pro-government"].towns}
    assert change.area_change["islamic-state"]["newly_recorded_km2"] == pytest.approx(
        _km2(JAN_1)["islamic-state"] - _km2(DEC_31_2016)["islamic-state"], abs=0.01
    )


def test_importing_control_for_towns_never_recorded_is_newly_recorded_not_a_gain(seeded):
    # A town between Salamiyah and Uqayribat, first recorded after the seed's last date.
    government = Faction.objects.get(slug="pro-government")
    hama = Town.objects.get(slug="uqayribat").admin_area
    newcomer = TownFactory(name="Newcomer", latitude=35.08, longitude=37.15, admin_area=hama)
    later = dt.date(2017, 9, 10)
    ControlChangeFactory(town=newcomer, faction=government, effective_date=later)
    change = territory_between(start=SEP_3, end=later)
    assert list(_flows(change)) == [(None, "pro-government")]
    flow = change.flows[0]
    assert [t.slug for t in flow.towns] == [newcomer.slug] and flow.km2 > 0
    assert change.area_change["pro-government"]["gained_km2"] == 0
    assert change.area_change["pro-government"]["newly_recorded_km2"] == flow.km2


def test_the_uqayribat_conquest_is_attributed_from_is_to_the_government(seeded):
    change = territory_between(start=AUG_31, end=SEP_3)
    flows = _flows(change)
    taken = flows[("islamic-state", "pro-government")]
    assert {t.slug for t in taken.towns} == {"uqayribat", "kabajib"}
    assert taken.km2 > 100
    assert change.area_change["islamic-state"]["lost_km2"] >= taken.km2
    assert change.area_change["pro-government"]["gained_km2"] >= taken.km2
    assert all(f.from_class is not None for f in change.flows)  # every town was recorded by 31 August
    summary = territory_change_summary(change)
    government = next(r for r in summary["factions"] if r["faction"] == "pro-government")
    from_is = next(g for g in government["gained_from"] if g["faction"] == "islamic-state")
    assert from_is["km2"] == taken.km2 and {t["slug"] for t in from_is["towns"]} == {"uqayribat", "kabajib"}


@pytest.mark.parametrize("start,end", [
    (DEC_31_2016, JAN_1), (DEC_31_2016, SEP_3), (AUG_31, SEP_3), (dt.date(2017, 9, 1), dt.date(2017, 9, 2)),
    (SEP_3, SEP_3),
])
def test_gains_losses_and_bookkeeping_add_up_to_the_change_in_painted_area(seeded, start, end):
    change = territory_between(start=start, end=end)
    before, after = _km2(start), _km2(end)
    for klass, km2 in change.area_change.items():
        net = km2["gained_km2"] - km2["lost_km2"] + km2["newly_recorded_km2"] - km2["no_longer_recorded_km2"]
        assert net == pytest.approx(after.get(klass, 0) - before.get(klass, 0), abs=0.01), klass
        assert km2["before_km2"] == pytest.approx(before.get(klass, 0), abs=0.01)
        assert km2["after_km2"] == pytest.approx(after.get(klass, 0), abs=0.01)
    gained = sum(v["gained_km2"] for v in change.area_change.values())
    lost = sum(v["lost_km2"] for v in change.area_change.values())
    assert gained == pytest.approx(lost, abs=0.01)  # land changes hands, it is not made


def test_the_radius_setting_is_honoured(seeded, settings):
    wide = sum(_km2(SEP_3).values())
    settings.CONTROL_AREA_RADIUS_KM = 1
    narrow = _km2(SEP_3)
    assert sum(narrow.values()) < wide / 50
    assert sum(narrow.values()) <= Town.objects.count() * math.pi * 1.001
    assert territory.area_rule()["radius_km"] == 1 and "1 km" in territory.area_rule()["text"]
    change = territory_between(start=AUG_31, end=SEP_3)
    assert change.rule["radius_km"] == 1
    assert change.area_change["pro-government"]["gained_km2"] < 2 * math.pi


def test_towns_without_a_published_record_do_not_split_recorded_towns_areas(seeded):
    before = _km2(SEP_3)
    uqayribat = Town.objects.get(slug="uqayribat")
    islamic_state = Faction.objects.get(slug="islamic-state")
    # A gazetteer's worth of neighbours with no record, one with only a draft, one with only a retracted change.
    for i in range(12):
        TownFactory(name=f"Hamlet {i}", latitude=uqayribat.latitude + 0.02 * (i % 4 - 1.5),
                    longitude=uqayribat.longitude + 0.02 * (i // 4 - 1), admin_area=uqayribat.admin_area)
    drafted = TownFactory(name="Drafted", latitude=uqayribat.latitude + 0.05, longitude=uqayribat.longitude,
                          admin_area=uqayribat.admin_area)
    ControlChangeFactory(town=drafted, faction=islamic_state, effective_date=SEP_3, state=ControlChange.State.DRAFT)
    retracted = TownFactory(name="Retracted", latitude=uqayribat.latitude - 0.05, longitude=uqayribat.longitude,
                            admin_area=uqayribat.admin_area)
    ControlChangeFactory(town=retracted, faction=islamic_state, effective_date=SEP_3,
                         state=ControlChange.State.RETRACTED)
    assert _km2(SEP_3) == pytest.approx(before, abs=0.01)
    # An editor's preview counts the draft: it becomes a site and takes part of Uqayribat's land.
    preview = _km2(SEP_3, published_only=False)
    assert preview["islamic-state"] > before["islamic-state"]
    assert preview["pro-government"] < before["pro-government"]


def test_a_town_recorded_only_later_is_unpainted_on_the_date_but_bounds_its_neighbour(seeded):
    # A town 10 km east of Uqayribat, first recorded after the seed's last date: on 31 August its
    # land is unpainted ("no record"), and Uqayribat's stops at the bisector between them.
    uqayribat = Town.objects.get(slug="uqayribat")
    alone = _km2(AUG_31)["islamic-state"]
    newcomer = TownFactory(name="Newcomer", latitude=uqayribat.latitude, longitude=uqayribat.longitude + 0.11,
                           admin_area=uqayribat.admin_area)
    ControlChangeFactory(town=newcomer, faction=Faction.objects.get(slug="sdf"), effective_date=dt.date(2017, 9, 10))
    frame = territory.control_areas_as_of(on=AUG_31).set_index("faction")
    assert frame.loc["islamic-state", "area_km2"] < alone - 100
    newcomer_point = shapely.Point(newcomer.longitude, newcomer.latitude)
    assert not any(g.covers(newcomer_point) for g in frame.geometry)
    assert "sdf" not in frame.index or not frame.loc["sdf", "geometry"].covers(newcomer_point)


def test_a_radius_that_is_not_positive_is_refused_by_name(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CONTROL_AREA_RADIUS_KM = 0
    with pytest.raises(ImproperlyConfigured, match="CONTROL_AREA_RADIUS_KM"):
        territory.area_rule()
