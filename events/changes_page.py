"""What the "what changed" page shows for a period, sized to hold at any range: counts, the first
towns, km² per faction, and links to the full lists (the exports), never the period's whole log."""

import datetime as dt
from collections import Counter

from django.core.paginator import Paginator
from django.urls import reverse

from geodata.models import AdminArea

from . import collector, selectors, territory
from .models import ControlChange, Faction

TOWNS_SHOWN = 200  # towns that changed hands listed on the page; the CSV has every change
CHANGES_PER_PAGE = 200
FLOW_TOWNS_SHOWN = 12  # towns named beside each flow of land


def _capped_flows(flows: list[dict]) -> list[dict]:
    """Each flow of land with its first FLOW_TOWNS_SHOWN towns (with their page's URL) and how many more."""
    marker = "__slug__"
    pattern = reverse("town-detail", kwargs={"slug": marker})  # reversed once, not once per town
    return [{**f, "towns": [{**t, "url": pattern.replace(marker, t["slug"])} for t in f["towns"][:FLOW_TOWNS_SHOWN]],
             "more": max(0, len(f["towns"]) - FLOW_TOWNS_SHOWN)}
            for f in flows]


def _counts(handovers: list[territory.Handover]) -> tuple[list[dict], list[dict]]:
    """Towns gained, lost and first recorded per faction, and towns that changed hands per governorate."""
    gained: Counter[int] = Counter()
    lost: Counter[int] = Counter()
    first: Counter[int] = Counter()
    factions: dict[int, Faction] = {}
    for h in handovers:
        factions[h.to_faction.pk] = h.to_faction
        (gained if h.from_faction else first)[h.to_faction.pk] += 1
        if h.from_faction:
            factions[h.from_faction.pk] = h.from_faction
            lost[h.from_faction.pk] += 1
    rows = [(gained[pk] - lost[pk], f.name, {"faction": f, "gained": gained[pk], "lost": lost[pk],
                                              "first": first[pk], "net": gained[pk] - lost[pk]})
            for pk, f in factions.items()]
    by_faction = [row for _, _, row in sorted(rows, key=lambda r: (-r[0], r[1]))]
    lifted = territory.level_area_ids(AdminArea.Level.PROVINCE)
    def governorate(h: territory.Handover) -> int | None:
        return None if h.town.admin_area_id is None else lifted.get(h.town.admin_area_id)

    per_area = Counter(governorate(h) for h in handovers if h.from_faction)
    firsts = Counter(governorate(h) for h in handovers if not h.from_faction)
    areas = AdminArea.objects.in_bulk([pk for pk in {*per_area, *firsts} if pk is not None])
    keyed = []
    for pk in {*per_area, *firsts}:
        area = areas.get(pk) if pk is not None else None
        keyed.append((-per_area[pk], area.name if area else "~",
                      {"area": area, "changed_hands": per_area[pk], "first": firsts[pk]}))
    by_area = [row for *_, row in sorted(keyed, key=lambda r: (r[0], r[1]))]
    return by_faction, by_area


def changes_page(*, start: dt.date, end: dt.date, page: int = 1) -> dict:
    """Control at the end of ``start`` against the end of ``end``: counts per faction and governorate,
    the first TOWNS_SHOWN towns that changed hands, km² per faction (/api/territory-change.json's
    numbers) and the period's changes, CHANGES_PER_PAGE a page."""
    # After a write, two slices of every town and the diff's rows are made: with the collector's
    # full passes (``collector``), a third of the page's time at 10,000 towns.
    with collector.paused():
        return _changes_page(start=start, end=end, page=page)


def _changes_page(*, start: dt.date, end: dt.date, page: int) -> dict:
    change = territory.territory_between(start=start, end=end)
    summary = territory.territory_change_summary(change)
    for kind in ("changed_hands", "newly_recorded", "no_longer_recorded"):
        summary[kind] = _capped_flows(summary[kind])
    by_faction, by_area = _counts(change.handovers)
    first_day = start + dt.timedelta(days=1)
    period = f"from={first_day:%Y-%m-%d}&to={end:%Y-%m-%d}"
    in_period = selectors.changes_in_force().filter(effective_date__gte=first_day, effective_date__lte=end)
    changes = Paginator(
        selectors.with_relations(in_period).order_by(*selectors.CHRONOLOGICAL) if start < end
        else ControlChange.objects.none(),
        CHANGES_PER_PAGE,
    ).get_page(page)
    return {
        "start": start,
        "end": end,
        "handovers": change.handovers[:TOWNS_SHOWN],
        "handovers_total": len(change.handovers),
        "towns_shown": TOWNS_SHOWN,
        "by_faction": by_faction,
        "by_area": by_area,
        "territory": summary,
        "changes": changes,
        "csv_url": f"{reverse('api:changes-csv')}?{period}",
        "geojson_url": f"{reverse('api:changes-geojson')}?{period}",
        "page_query": f"from={start:%Y-%m-%d}&to={end:%Y-%m-%d}",
    }
