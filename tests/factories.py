"""Factories for the named seed places and factions; fixed dates, no randomness in assertions."""

import datetime as dt

import factory

from events.models import ControlChange, Faction, Source
from geodata.models import AdminArea, Town


class AdminAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdminArea
        django_get_or_create = ("code",)

    name = "Hama"
    name_ar = "حماة"
    code = "SY05"
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    level = AdminArea.Level.PROVINCE
    country_code = "SY"


class TownFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Town

    name = factory.Sequence(lambda n: f"Town {n}")
    slug = factory.Sequence(lambda n: f"town-{n}")
    latitude = 35.0422
    longitude = 37.4628


class FactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Faction
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Faction {n}")
    short_name = factory.LazyAttribute(lambda o: o.name)
    slug = factory.Sequence(lambda n: f"faction-{n}")
    colour = "#336699"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    publisher = "Test Wire"
    title = factory.Sequence(lambda n: f"Report {n}")
    published = dt.date(2017, 9, 3)


class ControlChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ControlChange

    town = factory.SubFactory(TownFactory)
    faction = factory.SubFactory(FactionFactory)
    effective_date = dt.date(2017, 9, 1)
    state = ControlChange.State.PUBLISHED
