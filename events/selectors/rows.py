"""The light rows a time slice and a timeline are made of: plain tuples, no models, no geometry."""

import datetime as dt
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, NamedTuple, cast

from django.db import connection, models

from ..date_labels import date_label
from ..models import Faction
from .request_memo import once


class TownRow(NamedTuple):
    """A town as a time slice needs it: plain values, no model, no governorate geometry."""

    id: int
    slug: str
    name: str
    latitude: float
    longitude: float
    admin_area_id: int | None
    population: int | None


class ChangeRow(NamedTuple):
    """A change as a time slice or a timeline needs it; the first three fields are its order."""

    effective_date: dt.date
    day_part: int
    id: int
    town_id: int
    faction_id: int
    faction_slug: str
    status: str
    contested_by_id: int | None
    date_precision: str
    confidence: str
    state: str

    @property
    def date_label(self) -> str:
        return date_label(on=self.effective_date, precision=self.date_precision, day_part=self.day_part)


class FactionRow(NamedTuple):
    id: int
    slug: str
    name: str
    short_name: str
    colour: str


CHANGE_ROW_FIELDS = (
    "effective_date", "day_part", "id", "town_id", "faction_id", "faction__slug", "status",
    "contested_by_id", "date_precision", "confidence", "state",
)


# Tuples of these kinds built in C from a cursor's rows (what NamedTuple._make does, minus its
# Python frame and length check: the columns are this module's own).
make_town = cast(Callable[[Iterable[Any]], TownRow], partial(tuple.__new__, TownRow))
make_change = cast(Callable[[Iterable[Any]], ChangeRow], partial(tuple.__new__, ChangeRow))
make_faction = cast(Callable[[Iterable[Any]], FactionRow], partial(tuple.__new__, FactionRow))


def column(model: type[models.Model], name: str) -> str:
    """The database column of ``model``'s concrete field ``name``."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column, name
    return field.column


def factions_by_name() -> list[Faction]:
    """Every faction's model, by name (the model's ordering), read once per request (``request_memo``): a diff's
    handovers, its summary and the map's palette each name them."""
    return list(once("factions_by_name", lambda: tuple(Faction.objects.all())))


def faction_rows() -> dict[int, FactionRow]:
    """Every faction's id, slug, names and colour by id (one small query, once per request: ``request_memo``)."""
    return dict(once("faction_rows", _faction_rows))


def _faction_rows() -> dict[int, FactionRow]:
    columns = ", ".join(column(Faction, f) for f in FactionRow._fields)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {Faction._meta.db_table} ORDER BY id")
        return {row[0]: make_faction(row) for row in cursor.fetchall()}
