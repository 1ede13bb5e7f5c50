"""Reads that assemble what each public page shows, as plain data (no HTML, no Folium).

The map layers come from the same functions as the GeoJSON API, so a page, a downloaded map
and an export never disagree.
"""

import datetime as dt
from urllib.parse import urlencode

import orjson
from django.core.paginator import Paginator
from django.urls import reverse

from geodata.models import AdminArea, Theatre, Town

from . import area_rows, factions_figures, geojson, selectors, svg_charts, territory
from .colours import NO_RECORD_COLOUR
from .models import ControlChange, Faction
from .selectors import ChangeRow, FactionRow
from .selectors.coalitions import coalition_parents


def _plain(collection: dict) -> dict:
    """The collection exactly as the API serialises it (dates as ISO strings)."""
    return orjson.loads(geojson.dumps(collection))


def safe_href(url: str) -> str | None:
    """The URL if it is an http(s) link; anything else (javascript:, data:) is shown as text only."""
    return url if url and url.lower().startswith(("http://", "https://")) else None


def _source_rows(change: ControlChange) -> list[dict]:
    return [
        {
            "title": s.title,
            "url": safe_href(s.url),
            "publisher": s.publisher,
            "date": s.published.isoformat() if s.published else None,
        }
        for s in change.sources.all()
    ]


def theatre_query(theatre: Theatre | None, *, first: str = "?") -> str:
    """``?theatre=SLUG`` (or ``&...`` with ``first="&"``) for a link a theatre's page emits; "" without one."""
    return "" if theatre is None else f"{first}{urlencode({'theatre': theatre.slug})}"


UNDECIDED = ("Not decided yet: until a reviewer decides, the claim entered later is shown on the map "
             "(the log's order).")


def _dispute_rows(town: Town) -> list[dict]:
    """The town's disputes as the page and the panel show them: both claims, their sources, the decision
    (as known at the request's ``as_published`` moment: a dispute opened or decided later is left out or
    shown undecided)."""
    moment = selectors.known_moment()
    rows = []
    for dispute in selectors.town_disputes(town=town, known_at=moment):
        decided_at = dispute.decided_at if dispute.decided else None
        decided = decided_at is not None and (moment is None or decided_at <= moment)
        claims = [
            {
                "id": c.pk,
                "date_label": c.date_label,
                "faction": c.faction.slug,
                "faction_name": c.faction.name,
                "colour": c.faction.colour,
                "status": c.status,
                "contested_by_name": c.contested_by.name if c.contested_by else None,
                "confidence": c.confidence,
                "in_force": c.dispute_lost_at is None or (moment is not None and c.dispute_lost_at > moment),
                "decided_for": decided and dispute.decided_for_id == c.pk,
                "note": c.note,
                "sources": _source_rows(c),
            }
            for c in dispute.claims
        ]
        rows.append({
            "id": dispute.pk,
            "decided": decided,
            "decision": (f"Decided for {next(c['faction_name'] for c in claims if c['decided_for'])}"
                         if decided else UNDECIDED),
            "reason": dispute.reason if decided else "",
            "decided_at": decided_at.isoformat() if decided and decided_at is not None else None,
            "claims": claims,
        })
    return rows


def town_panel(*, town: Town, theatre: Theatre | None = None) -> dict:
    """A town's names and control history with sources, for the map's side panel (its link carrying
    ``theatre`` when given)."""
    history = selectors.town_history(town=town)
    return {
        "id": town.pk,
        "slug": town.slug,
        "name": town.name,
        "alt_names": list(town.alt_names),
        "url": town.get_absolute_url() + theatre_query(theatre),
        "history": [
            {
                "date": c.effective_date.isoformat(),
                "precision": c.date_precision,
                "date_label": c.date_label,
                "faction": c.faction.slug,
                "faction_name": c.faction.name,
                "colour": c.faction.colour,
                "status": c.status,
                "contested_by": c.contested_by.slug if c.contested_by else None,
                "contested_by_name": c.contested_by.name if c.contested_by else None,
                "confidence": c.confidence,
                "day_part": c.get_day_part_display() if c.day_part else None,
                "note": c.note,
                "sources": _source_rows(c),
            }
            for c in history
        ],
        "disputes": _dispute_rows(town),
    }


def show_on_map_url(*, town: Town, on: dt.date | None, theatre: Theatre | None = None) -> str:
    query = f"?date={on:%Y-%m-%d}&town={town.slug}" if on else f"?town={town.slug}"
    return reverse("home") + query + theatre_query(theatre, first="&")


def map_layers(*, on: dt.date, theatre: Theatre | None = None) -> dict[str, bytes]:
    """The map layers for a date as the API serialises them, GeoJSON text (for the downloadable map, which
    writes it as it is: parsing megabytes of coordinates back into dicts for Folium to dump again was most
    of the file's time beyond its floor); ``theatre``'s as its own map page fetches them."""
    return {
        "areas": geojson.dumps(geojson.control_areas_feature_collection(on=on, theatre=theatre)),
        "provinces": geojson.dumps(geojson.provinces_feature_collection(on=on, theatre=theatre)),
        "districts": geojson.dumps(geojson.provinces_feature_collection(on=on, level=2, theatre=theatre)),
        "towns": geojson.dumps(geojson.control_feature_collection(on=on, theatre=theatre)),
    }


def _governorate_id(town: Town) -> int | None:
    """The town's governorate: its area, or that area's parent when the town sits in a district."""
    area = town.admin_area
    return area.parent_id if area is not None and area.level == AdminArea.Level.DISTRICT else town.admin_area_id


def _governorate_layer(town: Town, on: dt.date) -> dict:
    """The town's governorate with its control on ``on``, counted from that governorate's towns only."""
    governorate_id = _governorate_id(town)
    area = None if governorate_id is None else AdminArea.objects.filter(pk=governorate_id).first()
    if area is None:
        return {"type": "FeatureCollection", "features": []}
    frame = territory.area_control_as_of(area=area, on=on)
    return _plain(geojson.provinces_feature_collection(on=on, frame=frame))


def town_page(*, town: Town, theatre: Theatre | None = None) -> dict:
    """History, a small map (the town and its governorate) and a link to the main map (of ``theatre``,
    the town's, when given).

    The map reads this town's row of the slice and its governorate's row, never the country's layer.
    """
    panel = town_panel(town=town)
    history = panel["history"]
    on = dt.date.fromisoformat(history[-1]["date"]) if history else selectors.latest_change_date()
    towns = {"type": "FeatureCollection", "features": []}
    if on:
        towns = _plain(geojson.control_feature_collection(on=on, towns=Town.objects.filter(pk=town.pk)))
    pad = 0.6
    area = town.admin_area
    district = area if area is not None and area.level == AdminArea.Level.DISTRICT else None
    return {
        "town": town,
        # A town stored in a district names both: its governorate (the district's parent) and the district.
        "governorate": district.parent if district is not None else area,
        "district": district,
        "history": history,
        "disputes": panel["disputes"],
        "on": on,
        "show_on_map_url": show_on_map_url(town=town, on=on, theatre=theatre),
        "theatre": theatre,
        "bounds": ((town.latitude - pad, town.longitude - pad), (town.latitude + pad, town.longitude + pad)),
        "layers": {
            "towns": towns,
            "provinces": _governorate_layer(town, on) if on else None,
        },
    }


def _faction_names() -> dict[str, tuple[str, str]]:
    names = {f.slug: (f.name, f.colour) for f in Faction.objects.all()}
    names[territory.CONTESTED] = (territory.CONTESTED_NAME, territory.CONTESTED_COLOUR)
    return names


TOWNS_PER_PAGE = 200  # the longest list a page shows; the rest is a page away or in the exports


def page_number(raw: str | None) -> int:
    """``?page=`` as a number from 1 (anything else is the first page; Paginator clamps the top)."""
    try:
        return max(1, int(raw or 1))
    except ValueError:
        return 1


def _town_row(town: Town, change: ChangeRow | None, factions: dict[int, FactionRow]) -> dict:
    """A row of the area's towns, its labels read here from the slice's own row and the factions: the
    template's lookups through the models (methods, then related objects) for 200 rows cost it more than
    the rest of the page, and reading the 200 changes again as models (with their factions) cost a warm
    page a quarter of its time (issue 21 item 7)."""
    row: dict[str, object] = {"town": town, "change": change}
    if change is not None:
        contested_by = None if change.contested_by_id is None else factions[change.contested_by_id]
        row |= {"faction": factions[change.faction_id], "contested_by": contested_by,
                "status": ControlChange.Status(change.status).label, "date": change.effective_date,
                "date_label": change.date_label, "confidence": ControlChange.Confidence(change.confidence).label}
    return row


def recorded_words(*, recorded: int, total: int) -> str:
    """What the shares are of: "1 of 5 towns here has a record on this date; 4 have none …"."""
    unrecorded = total - recorded
    towns = "town" if total == 1 else "towns"
    if not total:
        return "No towns here."
    if not unrecorded:
        return f"All {total} {towns} here {'has' if total == 1 else 'have'} a record on this date."
    return (f"{recorded} of {total} {towns} here {'has' if recorded == 1 else 'have'} a record "
            f"on this date; {unrecorded} {'has' if unrecorded == 1 else 'have'} none and "
            f"{'is' if unrecorded == 1 else 'are'} not counted in the shares.")


def area_page(*, area: AdminArea, on: dt.date, page: int = 1, theatre: Theatre | None = None) -> dict:
    """A governorate: its towns on a date (TOWNS_PER_PAGE a page), and its control shares over time; its
    links carry ``theatre`` (the area's) when given."""
    names = _faction_names()
    # A governorate's towns sit in its districts (the finest level loaded), as in the territory's shares.
    area_towns = territory.area_towns(area)
    # The public's list leaves out towns it sees only at their district's resolution (counted in the shares).
    listed = selectors.without_coarse(area_towns)
    paged = Paginator(listed.order_by("name", "pk").only("pk", "name", "slug"), TOWNS_PER_PAGE).get_page(page)
    shown = [t.pk for t in paged.object_list]
    # The time slice of this page's towns only: its rows and the factions label the table.
    # An area with no town (a district the gazetteer has none in) has no slice to read: an empty
    # ``pk__in`` is no SQL (EmptyResultSet, a 500 before).
    snapshot = selectors.control_as_of(on=on, towns=Town.objects.filter(pk__in=shown)) if shown else None
    by_town = snapshot.changes if snapshot else {}
    factions = selectors.faction_rows() if by_town else {}
    towns = [_town_row(t, by_town.get(t.pk), factions) for t in paged.object_list]
    control = territory.area_shares_as_of(area=area, on=on)
    shares = control["shares"]

    # Summed per step by the database (see territory.over_time), no walk of the towns' log here; the same
    # query counts the towns with a record (each one's first change in force).
    shares_over_time = territory.area_over_time(area=area)
    step, over_time = shares_over_time.step, shares_over_time.points
    slugs = sorted({s for _, sh in over_time for s in sh}, key=lambda s: names.get(s, (s,))[0])
    # Shares are of the towns with a record on each date; the towns without one are counted beside them.
    total = paged.paginator.count
    recorded = [shares_over_time.recorded_on(on), *shares_over_time.recorded]
    table = [
        {"date": date, "cells": [round(100 * sh.get(slug, 0)) for slug in slugs], "recorded": known,
         "unrecorded": total - known}
        for (date, sh), known in zip(over_time, recorded[1:], strict=True)
    ]
    # The table's own shares, one column per row (not lines to time scale: see svg_charts.share_chart).
    chart = svg_charts.share_chart(
        title="Share of towns held", unit="% of towns with a record", dates=[d for d, _ in over_time],
        series=[
            {"key": s, "name": names.get(s, (s, NO_RECORD_COLOUR))[0], "colour": names.get(s, (s, NO_RECORD_COLOUR))[1],
             "values": [sh.get(s, 0) for _, sh in over_time]}
            for s in slugs
        ],
        counted=[(known, total) for known in recorded[1:]],
    ) if over_time else None
    return {
        "area": area,
        "on": on,
        # A district links up to its governorate; a governorate lists its districts.
        "parent": area.parent if area.parent_id else None,
        "children": list(AdminArea.objects.filter(parent=area).order_by("name").only("name", "slug", "level")),
        "towns": towns,
        "town_rows": area_rows.town_rows(towns, theatre),
        "towns_page": paged,
        # The API lists the towns and changes filed under this area (JSON, paged).
        "towns_api_url": f"{reverse('api:town-list')}?governorate={area.slug}" + theatre_query(theatre, first="&"),
        "changes_api_url": (f"{reverse('api:controlchange-list')}?governorate={area.slug}"
                            + theatre_query(theatre, first="&")),
        "shares": [
            {"name": names.get(s, (s, ""))[0], "colour": names.get(s, (s, NO_RECORD_COLOUR))[1],
             "percent": round(100 * v)}
            for s, v in sorted(shares.items(), key=lambda kv: -kv[1])
        ],
        "recorded": recorded[0],
        "unrecorded": total - recorded[0],
        "recorded_words": recorded_words(recorded=recorded[0], total=total),
        "contested": bool(control["contested"]),
        "columns": [names.get(s, (s, ""))[0] for s in slugs],
        "table": table,
        "point_rows": area_rows.point_rows(table),
        "chart": chart,
        "point_words": territory.point_words(step),
        "map_url": f"{reverse('home')}?date={on:%Y-%m-%d}" + theatre_query(theatre, first="&"),
        "theatre": theatre,
        "theatre_query": theatre_query(theatre, first="&"),
    }


def _latest_counts(on: dt.date, theatre: Theatre | None = None) -> dict[str, dict[str, int]]:
    """Towns and population per class (faction slug or contested) on ``on``: the slice counted by the
    database (``theatre``'s towns when given)."""
    counted: dict[str, dict[str, int]] = {}
    for count in selectors.control_counts_as_of(on=on, theatre=theatre):
        if count.faction_slug is None:
            continue
        klass = territory.CONTESTED if count.status == ControlChange.Status.CONTESTED else count.faction_slug
        row = counted.setdefault(klass, {"towns": 0, "population": 0})
        row["towns"] += count.towns
        row["population"] += count.population
    return counted


def factions_page(*, theatre: Theatre | None = None) -> dict:
    """Every faction on the latest change date (one grouped slice), and towns, km² and population over
    time, summed per step by the database (territory_over_time).

    With ``theatre``: its towns, its own latest change date, its coalitions (``coalition_parents``), and
    only the factions present in its record (holding or contesting a town on some date, or holding land).
    """
    names = _faction_names()
    if theatre is None:
        on = selectors.latest_change_date()
    else:
        dates_of_theatre = selectors.change_dates(theatre=theatre)
        on = dates_of_theatre[-1] if dates_of_theatre else None
    # The figures over time read the whole log: the job queue computes them once per data version
    # (factions_figures); meanwhile the page shows the newest computed before, or none, saying so.
    figures = factions_figures.figures(theatre=theatre)
    over_time = figures.over_time if figures is not None else None
    dates = over_time.dates if over_time is not None else []
    by_date = {d: {r["klass"]: r for r in rows.to_dict("records")}
               for d, rows in (over_time.frame.groupby("date") if over_time is not None else [])}
    per_date = [by_date.get(d, {}) for d in dates]
    slugs = sorted({s for rows in per_date for s in rows}, key=lambda s: names.get(s, (s,))[0])

    def chart(column: str, title: str, unit: str) -> svg_charts.StepChart:
        return svg_charts.step_chart(
            title=title, unit=unit, dates=dates,
            series=[
                {"key": s, "name": names.get(s, (s, ""))[0], "colour": names.get(s, (s, NO_RECORD_COLOUR))[1],
                 "values": [float(rows.get(s, {}).get(column) or 0) for rows in per_date]}
                for s in slugs
            ],
        )

    counts = _latest_counts(on, theatre) if on else {}
    # km² on the latest date: the last point's, the same sums of cell areas the map's layer dissolves.
    km2: dict[str, float | None] = {k: float(r["area_km2"]) for k, r in per_date[-1].items()} if per_date else {}
    if over_time is None:
        slugs = sorted(counts)  # the theatre's factions holding towns; no km² until the figures are computed
    listed = Faction.objects.select_related("parent").order_by("name")
    coalition: dict[int, Faction | None] = {}
    if theatre is not None:
        # A faction of the theatre's record: in a chart's class, or contesting a town there.
        present = set(slugs) | set(
            selectors.changes_in_force().filter(town__theatre=theatre).exclude(contested_by=None)
            .values_list("contested_by__slug", flat=True).distinct()
        )
        listed = listed.filter(slug__in=present)
        parents = coalition_parents(theatre=theatre)
        by_pk = Faction.objects.in_bulk([p for p in set(parents.values()) if p is not None])
        coalition = {pk: by_pk.get(parent) if parent is not None else None for pk, parent in parents.items()}
    no_km2 = 0.0 if over_time is not None else None
    factions = [
        {"faction": f, "towns": counts.get(f.slug, {}).get("towns", 0), "area_km2": km2.get(f.slug, no_km2),
         "population": counts.get(f.slug, {}).get("population", 0),
         "coalition": coalition.get(f.pk) if theatre is not None else f.parent}
        for f in listed
    ]
    contested = counts.get(territory.CONTESTED, {})
    return {
        "factions": factions,
        "contested": {"towns": contested.get("towns", 0), "population": contested.get("population", 0),
                      "area_km2": km2.get(territory.CONTESTED, no_km2), "name": territory.CONTESTED_NAME,
                      "colour": territory.CONTESTED_COLOUR},
        "area_rule": territory.area_rule(),
        "on": on,
        "theatre": theatre,
        "point_words": over_time.point_words if over_time is not None else "",
        # None when the figures are the current data's; else what the page says about them.
        "figures_note": None if figures is not None and figures.current else {
            "as_of": figures.changed_at if figures is not None else None, "none": figures is None},
        "charts": [
            chart("towns", "Towns held", "towns"),
            chart("area_km2", "Territory", "km²"),
            chart("population", "Population of towns held", "people, where known"),
        ] if dates else [],
    }
