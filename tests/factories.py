"""Factories for the named seed places and factions; fixed dates, no randomness in assertions.

Each factory writes through the project's service for its record (the door users go through), so a
factory cannot make a row the services would refuse. ``.build()`` still gives an unsaved object.
"""

import datetime as dt

import factory

from events import services
from events.models import ControlChange, Faction, Source
from events.permissions import SystemActor
from geodata.models import AdminArea, Town
from geodata.services import admin_area_save, town_save

# Who acts when a test sets data up: the system, named, as the seed and the commands are.
SYSTEM = SystemActor("tests")

FACTORY_REASON = "made by a test factory"


class AdminAreaFactory(factory.django.DjangoModelFactory):
    """Areas through ``geodata.services.admin_area_save``, the write the boundary loader uses."""

    class Meta:
        model = AdminArea

    name = "Hama"
    name_ar = "حماة"
    code = "SY05"
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    level = AdminArea.Level.PROVINCE
    country_code = "SY"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        existing = model_class.objects.filter(code=kwargs["code"]).first()
        if existing is not None:  # an area is found by its code, as the boundary loader matches it
            return existing
        return admin_area_save(area=model_class(*args, **kwargs))


class TownFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Town

    name = factory.Sequence(lambda n: f"Town {n}")
    slug = factory.Sequence(lambda n: f"town-{n}")
    latitude = 35.0422
    longitude = 37.4628

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return town_save(town=model_class(*args, **kwargs))


class FactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Faction

    name = factory.Sequence(lambda n: f"Faction {n}")
    short_name = factory.LazyAttribute(lambda o: o.name)
    slug = factory.Sequence(lambda n: f"faction-{n}")
    colour = "#336699"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        existing = model_class.objects.filter(slug=kwargs["slug"]).first()
        if existing is not None:  # a faction is found by its slug (FactionFactory(slug="sdf") is the seed's)
            return existing
        return services.faction_save(faction=model_class(*args, **kwargs), by=SYSTEM)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    publisher = "Test Wire"
    title = factory.Sequence(lambda n: f"Report {n}")
    published = dt.date(2017, 9, 3)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.source_save(source=model_class(*args, **kwargs), by=SYSTEM)


class ControlChangeFactory(factory.django.DjangoModelFactory):
    """A change entered through ``control_change_create``; a published one cites a new source unless
    ``sources`` is given. Rejected and retracted changes go through the review services from a draft
    or a published change, with a reason."""

    class Meta:
        model = ControlChange

    town = factory.SubFactory(TownFactory)
    faction = factory.SubFactory(FactionFactory)
    effective_date = dt.date(2017, 9, 1)
    state = ControlChange.State.PUBLISHED

    @classmethod
    def _create(cls, model_class, *args, sources=None, **kwargs):
        State = ControlChange.State
        state = kwargs.pop("state")
        entered = State.PUBLISHED if state in (State.PUBLISHED, State.RETRACTED) else State.DRAFT
        if sources is None:
            sources = [SourceFactory()] if entered == State.PUBLISHED else []
        kwargs.setdefault("entered_by", SYSTEM)
        change = services.control_change_create(*args, state=entered, sources=sources, **kwargs)
        if state == State.REJECTED:
            change = services.control_change_reject(change=change, by=SYSTEM, reason=FACTORY_REASON)
        elif state == State.RETRACTED:
            change = services.control_change_retract(change=change, by=SYSTEM, reason=FACTORY_REASON)
        elif state not in (State.DRAFT, State.PUBLISHED):
            raise ValueError(f"ControlChangeFactory cannot make a change in state {state!r}")
        return change
