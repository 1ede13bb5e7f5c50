"""Search of the control log's admin lists, resolved against the small tables first.

Django's own search joins the towns and factions to every change and tests each name with "contains":
14 s over a million changes. Here each word is first matched against the towns (10,000 rows) and the
factions (a few dozen), and the log is then filtered by ``town_id IN (...)`` / ``faction_id IN (...)``,
which its indexes serve. The rows found are the same as Django's search over the same fields: a change
matches when every word of the term is in one of its town's or faction's names (or in its note, where
notes are searched), or when the whole term is in one of the town's alternate names or the faction's
aliases (as ``geodata.admin.JsonNameSearchMixin`` matches them).
"""

import json
import math
import operator
from dataclasses import dataclass
from functools import reduce

from django.db import connections
from django.db.models import BooleanField, ExpressionWrapper, F, Func, IntegerField, Max, Q, QuerySet
from django.db.models.lookups import In
from django.utils.text import smart_split, unescape_string_literal

from geodata.models import Town

from ..models import ControlChange, Faction

PAGE = 100  # the log lists' list_per_page
# Above this many ids a set goes to the database as a subquery (no parameter limit, no long SQL).
LITERAL_IDS_UP_TO = 500


class Unindexed(Func):
    """``+column``: the same value, which SQLite will not look up through an index on the column."""

    template = "+%(expressions)s"
    output_field = IntegerField()


def search_words(term: str) -> list[str]:
    """The words of a search term as Django's admin splits them (quoted phrases kept whole)."""
    words = []
    for bit in smart_split(term):
        if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
            bit = unescape_string_literal(bit)
        words.append(bit)
    return words


def _any(conditions) -> Q:
    return reduce(operator.or_, conditions, Q(pk__in=[]))


def _contains(fields: tuple[str, ...], text: str) -> Q:
    return _any(Q(**{f"{name}__icontains": text}) for name in fields)


def _in_name_lists(fields: tuple[str, ...], term: str) -> Q:
    # SQLite keeps JSON text ASCII-escaped (\u0639...), so also look for the escaped form.
    forms = {term, json.dumps(term)[1:-1]}
    return _any(Q(**{f"{name}__icontains": form}) for name in fields for form in forms)


@dataclass(frozen=True)
class Matched:
    """The rows of a small table (towns or factions) a condition matches: their ids, and the condition
    itself to send as a subquery when the ids are many."""

    model: type
    condition: Q
    ids: frozenset[int]

    @classmethod
    def each(cls, model, conditions: list[Q]) -> list["Matched"]:
        """What each condition matches, in one query over the table."""
        if not conditions:
            return []
        flags = {f"matches_{n}": ExpressionWrapper(c, output_field=BooleanField()) for n, c in enumerate(conditions)}
        rows = (model.objects.filter(_any(conditions)).order_by()
                .annotate(**flags).values_list("id", *flags))
        ids = [set() for _ in conditions]
        for pk, *matches in rows:
            for found, matched in zip(ids, matches, strict=True):
                if matched:
                    found.add(pk)
        return [cls(model, c, frozenset(i)) for c, i in zip(conditions, ids, strict=True)]

    def __or__(self, other: "Matched") -> "Matched":
        return Matched(self.model, self.condition | other.condition, self.ids | other.ids)

    def lookup(self, column: str, *, unindexed: bool) -> Q | None:
        if not self.ids:
            return None
        values = (sorted(self.ids) if len(self.ids) <= LITERAL_IDS_UP_TO
                  else self.model.objects.filter(self.condition).order_by().values("id"))
        return Q(In(Unindexed(F(column)) if unindexed else F(column), values))


@dataclass(frozen=True)
class LogSearch:
    """Which names of a change's town and faction a search reads (fields of Town and Faction)."""

    town_fields: tuple[str, ...]
    faction_fields: tuple[str, ...]
    town_name_lists: tuple[str, ...] = ()
    faction_name_lists: tuple[str, ...] = ()

    @classmethod
    def of(cls, search_fields, name_lists=()) -> "LogSearch":
        """From an admin's ``search_fields`` ("town__name", "faction__slug", "note"...) and JSON lists of
        names ("town__alt_names"). Whether notes are read is the caller's choice."""
        fields = {"town": [], "faction": []}
        lists = {"town": [], "faction": []}
        for into, names in ((fields, search_fields), (lists, name_lists)):
            for name in names:
                if name != "note":
                    relation, _sep, field = name.partition("__")
                    into[relation].append(field)  # KeyError: a field this search cannot resolve
        return cls(tuple(fields["town"]), tuple(fields["faction"]), tuple(lists["town"]), tuple(lists["faction"]))

    @staticmethod
    def _conditions(words: list[str], term: str, fields: tuple[str, ...], name_lists: tuple[str, ...]) -> list[Q]:
        conditions = [_contains(fields, word) for word in words]
        if name_lists:
            conditions.append(_in_name_lists(name_lists, term.strip()))
        return conditions

    def filter(self, queryset: QuerySet, term: str, *, notes: bool) -> QuerySet:
        """The changes of ``queryset`` the term matches; ``notes``: each word may also be in the note."""
        words = search_words(term)
        if not words:
            return queryset
        # For each word, the towns and factions with it in a name; last, those with the whole term in a
        # list of names (none when the search reads no such list).
        towns = Matched.each(Town, self._conditions(words, term, self.town_fields, self.town_name_lists))
        factions = Matched.each(Faction, self._conditions(words, term, self.faction_fields, self.faction_name_lists))
        n = len(words)
        in_lists = (towns[n] if len(towns) > n else NO_TOWN, factions[n] if len(factions) > n else NO_FACTION)
        per_word = [(t, f, w if notes else None) for t, f, w in zip(towns[:n], factions[:n], words, strict=True)]
        unindexed = connections[queryset.db].vendor == "sqlite" and _dense([(t, f) for t, f, _w in per_word], in_lists)
        if len(words) == 1:  # one word: one IN list per column
            town, faction, note = per_word[0]
            return queryset.filter(_match(town | in_lists[0], faction | in_lists[1], note, unindexed=unindexed))
        match = reduce(operator.and_, (_match(*found, unindexed=unindexed) for found in per_word))
        return queryset.filter(match | _match(*in_lists, None, unindexed=unindexed))


NO_TOWN = Matched(Town, Q(pk__in=[]), frozenset())
NO_FACTION = Matched(Faction, Q(pk__in=[]), frozenset())


def changes_in_towns(queryset: QuerySet, towns: Q) -> QuerySet:
    """The changes of ``queryset`` in the towns ``towns`` selects, found by their ids as a search finds them
    (joining each change to its town instead walked 115,000 changes for the 11 towns of a governorate)."""
    matched = Matched.each(Town, [towns])[0]
    unindexed = connections[queryset.db].vendor == "sqlite" and _dense([(matched, NO_FACTION)], (NO_TOWN, NO_FACTION))
    return queryset.filter(_match(matched, NO_FACTION, None, unindexed=unindexed))


def _match(towns: Matched, factions: Matched, note: str | None, *, unindexed: bool) -> Q:
    parts = [towns.lookup("town_id", unindexed=unindexed), factions.lookup("faction_id", unindexed=unindexed),
             Q(note__icontains=note) if note is not None else None]
    parts = [p for p in parts if p is not None]
    return _any(parts)


def _dense(per_word: list[tuple[Matched, Matched]], in_lists: tuple[Matched, Matched]) -> bool:
    """Whether the matches are so many that walking the log newest first (its date index) finds a page
    sooner than gathering them all through the town and faction indexes and sorting them: when their
    share of the log passes ``sqrt(page / log size)`` (1% at a million changes). SQLite's planner does
    not weigh this (it gathered and sorted 71,000 rows of one faction for a page of 100, 1 s).

    A word's share is estimated as its towns / all towns + its factions / all factions; every word must
    match, so the term's share is at most its rarest word's, plus the share matched by the lists of names.
    """
    if not any(m.ids for pair in [*per_word, in_lists] for m in pair):
        return False
    towns, factions = max(Town.objects.count(), 1), max(Faction.objects.count(), 1)
    share = min(len(t.ids) / towns + len(f.ids) / factions for t, f in per_word)
    share += len(in_lists[0].ids) / towns + len(in_lists[1].ids) / factions
    size = ControlChange.objects.aggregate(n=Max("id"))["n"] or 0  # ids only grow: it bounds the rows
    return share >= math.sqrt(PAGE / max(size, 1))
