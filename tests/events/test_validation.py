import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from events import services
from events.models import ControlChange, Faction
from tests.factories import SYSTEM, ControlChangeFactory, FactionFactory, SourceFactory, TownFactory

pytestmark = pytest.mark.django_db


def field_errors(exc_info) -> dict:
    return exc_info.value.message_dict


@pytest.mark.parametrize("colour", ["red", "#12345", "#gggggg", "123456", "#1234567"])
def test_faction_colour_must_be_hex(colour):
    faction = Faction(name="X", short_name="X", slug="x", colour=colour)
    with pytest.raises(ValidationError) as exc:
        faction.full_clean()
    assert "colour" in field_errors(exc)


def test_faction_cannot_be_its_own_coalition():
    a = FactionFactory()
    b = FactionFactory(parent=a)
    a.parent = b
    with pytest.raises(ValidationError) as exc:
        a.full_clean()
    assert "parent" in field_errors(exc)


@pytest.mark.parametrize(("lat", "lon", "field"), [(91, 37, "latitude"), (-90.5, 37, "latitude"),
                                                   (35, 181, "longitude"), (35, -200, "longitude")])
def test_town_coordinates_in_range(lat, lon, field):
    town = TownFactory.build(latitude=lat, longitude=lon)
    with pytest.raises(ValidationError) as exc:
        town.full_clean()
    assert field in field_errors(exc)


def create(**overrides):
    kwargs = dict(town=TownFactory(), faction=FactionFactory(), effective_date=dt.date(2017, 9, 1),
                  entered_by=SYSTEM)
    kwargs.update(overrides)
    return services.control_change_create(**kwargs)


def test_change_in_the_future_is_rejected():
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        create(effective_date=tomorrow)
    assert "in the future" in field_errors(exc)["effective_date"][0]
    assert not ControlChange.objects.exists()


def test_change_before_1900_is_rejected():
    with pytest.raises(ValidationError) as exc:
        create(effective_date=dt.date(1899, 12, 31))
    assert "before 1900" in field_errors(exc)["effective_date"][0]


def test_contested_status_needs_contesting_faction():
    with pytest.raises(ValidationError) as exc:
        create(status=ControlChange.Status.CONTESTED)
    assert "contesting faction" in field_errors(exc)["contested_by"][0]
    faction = FactionFactory()
    with pytest.raises(ValidationError) as exc:
        create(status="contested", faction=faction, contested_by=faction)
    assert "contested_by" in field_errors(exc)


def test_published_change_needs_a_source():
    with pytest.raises(ValidationError) as exc:
        create(state=ControlChange.State.PUBLISHED)
    assert "sources" in field_errors(exc)
    change = create(state="published", sources=[SourceFactory()])
    assert change.sources.count() == 1


def test_second_change_same_town_date_part_of_day_needs_supersedes():
    first = ControlChangeFactory()
    with pytest.raises(ValidationError):
        create(town=first.town, effective_date=first.effective_date)
    fix = create(town=first.town, effective_date=first.effective_date, supersedes=first)
    assert fix.supersedes == first


def test_schema_rejects_contested_without_contester_even_bypassing_services():
    from django.db import IntegrityError, transaction

    town, faction = TownFactory(), FactionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():  # a direct model write: the factory uses the service
        ControlChange.objects.create(town=town, faction=faction, effective_date=dt.date(2017, 9, 1),
                                     status="contested", contested_by=None)
