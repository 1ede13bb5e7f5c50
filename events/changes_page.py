"""What the "what changed" page shows for a period, sized to hold at any range: counts, the first
towns, km² per faction, and links to the full lists (the exports), never the period's whole log."""

import datetime as dt
import functools
from collections import Counter
from collections.abc import Callable, Sequence
from html import escape
from typing import NamedTuple
from urllib.parse import quote

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from geodata.models import AdminArea, Theatre, Town

from . import collector, selectors, territory
from .date_labels import date_label
from .models import ControlChange, Faction

TOWNS_SHOWN = 200  # towns that changed hands listed on the page; the CSV has every change
CHANGES_PER_PAGE = 200
FLOW_TOWNS_SHOWN = 12  # towns named beside each flow of land


def town_url(theatre: Theatre | None = None) -> Callable[[str], str]:
    """A town's page URL from its slug, reversed once per page (not once per row); with ``theatre``, the
    link keeps it."""
    marker = "__slug__"
    mine = "" if theatre is None else f"?theatre={quote(theatre.slug)}"
    pattern = reverse("town-detail", kwargs={"slug": marker}) + mine
    return lambda slug: pattern.replace(marker, slug)


def _capped_flows(flows: list[dict], theatre: Theatre | None = None) -> list[dict]:
    """Each flow of land with its first FLOW_TOWNS_SHOWN towns (with their page's URL), those towns as
    links (escaped HTML) and how many more.

    The links are joined here, not by a loop in the template: a 30-day diff at 10,000 towns names
    2,500 towns in 210 flows, and the template's ~12,000 nodes for them were its largest cost.
    """
    url = town_url(theatre)
    capped = []
    for f in flows:
        towns = [{**t, "url": url(t["slug"])} for t in f["towns"][:FLOW_TOWNS_SHOWN]]
        # html.escape is what django.utils.html.escape runs, without its lazy-string wrapper per call.
        links = ", ".join(f'<a href="{escape(t["url"])}">{escape(t["name"])}</a>' for t in towns)
        capped.append({**f, "towns": towns, "more": max(0, len(f["towns"]) - FLOW_TOWNS_SHOWN),
                       "links": mark_safe(links)})  # noqa: S308 (every value escaped above)
    return capped


# The long lists' rows, escaped and joined here: as template loops their ~5,000 nodes took ~30 ms of
# each request at 10,000 towns. The markup is the one the template had.
_HANDOVER = '<li>{}: <a href="{}">{}</a>\n      {}</li>'
_CHANGE = ('<tr><td><time datetime="{}">{}</time></td>\n      <td><a href="{}">{}</a></td>\n'
           '      <td><span class="swatch" style="background: {}"></span>{}</td>\n'
           '      <td>{}{}</td>\n      <td>{}</td></tr>')


# What a row of the changes table shows: no sources, governorate or parent faction (with_relations
# reads those for the pages that show them: here 400 sources and two joins more per page). Read as named
# rows, not models: a page's 200 changes with their town, faction and contester were ~600 models, ~8 ms of
# each request, a cost that does not shrink with a small theatre's diff (issue 21 item 7).
_ROW_FIELDS = ("pk", "effective_date", "date_precision", "day_part", "status", "confidence", "town__name",
               "town__slug", "faction__name", "faction__colour", "contested_by__name")


# Each value escaped with html.escape (what django.utils.html.escape runs) and the rows joined and marked safe
# once: format_html's escaping, argument by argument through lazy-string checks, was ~10 ms of 400 rows, and a
# template loop over the rows ~2 ms more.
def _joined(rows: list[str]) -> str:
    return mark_safe("\n  ".join(rows))  # noqa: S308 (every value escaped by the row's maker)


def _handover_rows(handovers: list[territory.Handover], theatre: Theatre | None = None) -> str:
    url = town_url(theatre)
    named = functools.cache(escape)  # a handful of factions' names over hundreds of rows
    return _joined([_HANDOVER.format(
        f"{h.date:%Y-%m-%d}", escape(url(h.town.slug)), escape(h.town.name),
        f"from {named(h.from_faction.name)} to {named(h.to_faction.name)}" if h.from_faction
        else f"first recorded, held by {named(h.to_faction.name)}",
    ) for h in handovers])


def _change_rows(changes, theatre: Theatre | None = None) -> str:
    url = town_url(theatre)
    statuses, confidences = dict(ControlChange.Status.choices), dict(ControlChange.Confidence.choices)
    # The few values many rows share (factions, colours, labels, dates) escaped once each; towns per row.
    same = functools.cache(lambda value: escape(str(value)))
    label = functools.cache(lambda on, precision, part: escape(date_label(on=on, precision=precision, day_part=part)))
    return _joined([_CHANGE.format(
        f"{c.effective_date:%Y-%m-%d}", label(c.effective_date, c.date_precision, c.day_part),
        escape(url(c.town__slug)), escape(c.town__name), same(c.faction__colour), same(c.faction__name),
        same(statuses.get(c.status, c.status)),
        f" by {same(c.contested_by__name)}" if c.contested_by__name is not None else "",
        same(confidences.get(c.confidence, c.confidence)),
    ) for c in changes])


def _counts(handovers: list[territory.Handover], theatre: Theatre | None = None) -> tuple[list[dict], list[dict]]:
    """Towns gained, lost and first recorded per faction, and towns that changed hands per governorate."""
    # Counted by the factions' ids (``id``: a model's ``pk`` is a Python property, and a 30-day diff at size
    # has thousands of handovers) and each handover's governorate, in one pass.
    gained: Counter[int] = Counter()
    lost: Counter[int] = Counter()
    first: Counter[int] = Counter()
    factions: dict[int, Faction] = {}
    per_area: Counter[int | None] = Counter()
    firsts: Counter[int | None] = Counter()
    lifted = territory.level_area_ids(AdminArea.Level.PROVINCE, theatre=theatre)  # not every theatre's areas
    for h in handovers:
        to, was, area_id = h.to_faction, h.from_faction, h.town.admin_area_id
        factions[to.id] = to
        governorate = None if area_id is None else lifted.get(area_id)
        if was is None:
            first[to.id] += 1
            firsts[governorate] += 1
        else:
            gained[to.id] += 1
            factions[was.id] = was
            lost[was.id] += 1
            per_area[governorate] += 1
    rows = [(gained[pk] - lost[pk], f.name, {"faction": f, "gained": gained[pk], "lost": lost[pk],
                                              "first": first[pk], "net": gained[pk] - lost[pk]})
            for pk, f in factions.items()]
    by_faction = [row for _, _, row in sorted(rows, key=lambda r: (-r[0], r[1]))]
    # Their names and links only: a governorate's geometry (the first theatre's 14: ~5 ms decoded) is not shown here.
    areas = AdminArea.objects.only("name", "slug").in_bulk([pk for pk in {*per_area, *firsts} if pk is not None])
    keyed = []
    for pk in {*per_area, *firsts}:
        area = areas.get(pk) if pk is not None else None
        keyed.append((-per_area[pk], area.name if area else "~",
                      {"area": area, "changed_hands": per_area[pk], "first": firsts[pk]}))
    by_area = [row for *_, row in sorted(keyed, key=lambda r: (r[0], r[1]))]
    return by_faction, by_area


class ListedChange(NamedTuple):
    """A row of the changes table, as ``_ROW_FIELDS`` names it."""

    pk: int
    effective_date: dt.date
    date_precision: str
    day_part: int
    status: str
    confidence: str
    town__name: str
    town__slug: str
    faction__name: str
    faction__colour: str
    contested_by__name: str | None


class _PeriodList(Sequence):
    """The period's changes (``selectors.period_changes``) as the table lists them, made rows when shown."""

    def __init__(self, rows: list[selectors.PeriodRow]):
        self._rows, self._factions = rows, selectors.faction_rows()

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._listed(row) for row in self._rows[index]]
        return self._listed(self._rows[index])

    def _listed(self, row: selectors.PeriodRow) -> ListedChange:
        faction = self._factions[row.faction_id]
        contester = None if row.contested_by_id is None else self._factions[row.contested_by_id]
        return ListedChange(row.id, row.effective_date, row.date_precision, row.day_part, row.status, row.confidence,
                            row.town_name, row.town_slug, faction.name, faction.colour,
                            None if contester is None else contester.name)


def _listed(*, start: dt.date, end: dt.date, theatre: Theatre | None) -> Sequence | QuerySet:
    """The period's changes in force, in order, of ``theatre``'s towns; the public's without coarse towns.

    The rows the slice's move read (``selectors.period_changes``, once per request), or, for a period too long
    to read whole, a query paged by the Paginator."""
    if start >= end:
        return ControlChange.objects.none()
    theatre_id = None if theatre is None else theatre.pk
    rows = selectors.period_changes(start=start, end=end, seen=selectors.visibility(), theatre=theatre_id)
    if rows is not None:
        hidden = selectors.coarse_town_ids() if selectors.public_hides_coarse() else set()
        return _PeriodList([row for row in rows if row.town_id not in hidden] if hidden else rows)
    first_day = start + dt.timedelta(days=1)
    in_period = selectors.changes_in_force().filter(effective_date__gte=first_day, effective_date__lte=end)
    in_period = selectors.without_coarse(in_period, "town_id")  # the public: coarse towns by district only
    if theatre is not None:
        # The theatre's towns by its index, then their changes of the period by (town, effective_date): a join
        # on the town's theatre was planned as a scan of every theatre's towns (SQLite), each town's range probed.
        in_period = in_period.filter(town__in=Town.objects.filter(theatre=theatre).values("pk"))
    return in_period.order_by(*selectors.CHRONOLOGICAL).values_list(*_ROW_FIELDS, named=True)


def changes_page(*, start: dt.date, end: dt.date, page: int = 1, theatre: Theatre | None = None) -> dict:
    """Control at the end of ``start`` against the end of ``end``: counts per faction and governorate,
    the first TOWNS_SHOWN towns that changed hands, km² per faction (/api/territory-change.json's
    numbers) and the period's changes, CHANGES_PER_PAGE a page; of ``theatre``'s towns only when given."""
    # After a write, two slices of every town and the diff's rows are made: with the collector's
    # full passes (``collector``), a third of the page's time at 10,000 towns.
    with collector.paused():
        return _changes_page(start=start, end=end, page=page, theatre=theatre)


def _changes_page(*, start: dt.date, end: dt.date, page: int, theatre: Theatre | None = None) -> dict:
    change = territory.territory_between(start=start, end=end, theatre=theatre)
    summary = territory.territory_change_summary(change)
    for kind in ("changed_hands", "newly_recorded", "no_longer_recorded"):
        summary[kind] = _capped_flows(summary[kind], theatre)
    by_faction, by_area = _counts(change.handovers, theatre)
    first_day = start + dt.timedelta(days=1)
    mine = "" if theatre is None else f"theatre={quote(theatre.slug)}&"
    period = f"{mine}from={first_day:%Y-%m-%d}&to={end:%Y-%m-%d}"
    changes = Paginator(_listed(start=start, end=end, theatre=theatre), CHANGES_PER_PAGE).get_page(page)
    return {
        "start": start,
        "end": end,
        "handovers": change.handovers[:TOWNS_SHOWN],
        "handover_rows": _handover_rows(change.handovers[:TOWNS_SHOWN], theatre),
        "handovers_total": len(change.handovers),
        "towns_shown": TOWNS_SHOWN,
        "by_faction": by_faction,
        "by_area": by_area,
        "territory": summary,
        "changes": changes,
        "change_rows": _change_rows(changes, theatre),
        "csv_url": f"{reverse('api:changes-csv')}?{period}",
        "geojson_url": f"{reverse('api:changes-geojson')}?{period}",
        "page_query": f"{mine}from={start:%Y-%m-%d}&to={end:%Y-%m-%d}",
        "theatre": theatre,
        "theatre_query": "" if theatre is None else f"&theatre={quote(theatre.slug)}",
        # km² from the drawn polygons, where control is drawn on either date (None elsewhere: no section)
        "drawn": territory.drawn_between(start=start, end=end, theatre=theatre),
        "conflicts_url": f"{reverse('area-conflicts')}?{mine}date={end:%Y-%m-%d}",  # no theatre: the only one
    }


# What we said then and what we say now, for one date (``/changes/?date=D&as_published=X``).
_THEN_NOW = ('<tr><td><a href="{}">{}</a></td>\n      <td>{}</td>\n      <td>{}</td>\n      <td>{}</td></tr>')


def _held(change: ControlChange | None, factions: dict[int, Faction]) -> str:
    if change is None:
        return "nothing recorded"
    faction = factions[change.faction_id].name
    if change.contested_by_id:
        return format_html("{} (contested by {}), from {}", faction, factions[change.contested_by_id].name,
                           change.date_label)
    return format_html("{}, from {}", faction, change.date_label)


def _why(then: ControlChange | None, now: ControlChange | None, moment: dt.datetime) -> str:
    """Why the record of the town differs: a correction, a retraction or an entry published later."""
    day = lambda t: dateformat.format(timezone.localtime(t), "j F Y")  # noqa: E731
    if then is not None and now is not None and now.supersedes_id == then.pk:
        return format_html("corrected on {}", day(now.reviewed_at))
    if then is not None and then.retracted_at is not None and then.retracted_at > moment:
        return format_html("retracted on {}", day(then.retracted_at))
    if now is not None and now.reviewed_at is not None and now.reviewed_at > moment:
        return format_html("entered later, published on {}", day(now.reviewed_at))
    return "a later correction or retraction"


def then_and_now(*, on: dt.date, moment: dt.datetime, theatre: Theatre | None = None) -> dict:
    """Control on ``on`` as published at ``moment`` against as known now: the towns whose record differs
    (the first TOWNS_SHOWN), each with why. Two slices and one query for the changes that differ."""
    with selectors.as_known_at(moment):
        then = selectors.control_as_of(on=on, theatre=theatre)
    with selectors.as_known_at(None):
        now = selectors.control_as_of(on=on, theatre=theatre)
    differ = [t for t in now.towns
              if getattr(then.changes.get(t.id), "id", None) != getattr(now.changes.get(t.id), "id", None)]
    shown = differ[:TOWNS_SHOWN]
    ids = {c.id for t in shown for c in (then.changes.get(t.id), now.changes.get(t.id)) if c is not None}
    changes = ControlChange.objects.in_bulk(ids)
    factions = Faction.objects.in_bulk({c.faction_id for c in changes.values()}
                                       | {c.contested_by_id for c in changes.values() if c.contested_by_id})
    url = town_url()
    rows = []
    for t in shown:
        before, after = (changes.get(getattr(s.changes.get(t.id), "id", None)) for s in (then, now))
        rows.append(format_html(_THEN_NOW, url(t.slug), t.name, _held(before, factions), _held(after, factions),
                                _why(before, after, moment)))
    return {"on": on, "rows": rows, "total": len(differ), "shown": len(shown)}
