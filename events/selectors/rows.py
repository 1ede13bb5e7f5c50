"""The light rows a time slice and a timeline are made of: plain tuples, no models, no geometry."""

import datetime as dt
from functools import partial
from typing import NamedTuple

from django.db import connection

from ..date_labels import date_label
from ..models import Faction


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
make_town, make_change, make_faction = (partial(tuple.__new__, kind) for kind in (TownRow, ChangeRow, FactionRow))


def faction_rows() -> dict[int, FactionRow]:
    """Every faction's id, slug, names and colour by id (one small query)."""
    columns = ", ".join(Faction._meta.get_field(f).column for f in FactionRow._fields)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {Faction._meta.db_table} ORDER BY id")
        return {row[0]: make_faction(row) for row in cursor.fetchall()}
