"""Control drawn as polygons: the import's check (pure) and its write, and the areas' review.

``drawn_areas_import_check`` reads and checks every file (``geodata.drawn_files``), resolves each
feature's faction (by slug, name or alias: ``events.names``) and layer, and joins the features of one
file that share a faction, layer and day into one area; it writes nothing and lists every problem of
every file. ``drawn_areas_import_commit`` writes the checked areas in one transaction (all or nothing),
as drafts or, for a reviewer, published with their source. A drawn area is then published, rejected or
retracted through the control log's one transition (``lifecycle.record_transition``), audited alike.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import shapely
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from shapely.geometry import MultiPolygon, mapping

from conflictmap.text_checks import clean_refusing_nul
from geodata import spatial
from geodata.drawn_files import Progress, ReadOptions, read_drawn_files, theatre_shape
from geodata.models import Theatre
from geodata.services.revision import revision_bump, theatres_of

from ..drawn_models import DrawnArea
from ..models import Source
from ..names import faction_index
from ..permissions import PERM_ADD, PERM_PUBLISH, Actor, user_require
from ._audit import acting_user, audit
from .lifecycle import PUBLISH, REJECT, RETRACT, Transition, record_transition
from .sources import source_save

Layer = DrawnArea.Layer
# Words files use for their layers (ISW/CTP's layer names among them), casefolded, to the layer stored.
LAYER_WORDS = {
    "assessed": Layer.ASSESSED,
    "assessed control": Layer.ASSESSED,
    "control": Layer.ASSESSED,
    "occupied": Layer.ASSESSED,
    "advance": Layer.ADVANCE,
    "advances": Layer.ADVANCE,
    "assessed advances": Layer.ADVANCE,
    "claimed": Layer.CLAIMED,
    "claims": Layer.CLAIMED,
    "claimed control": Layer.CLAIMED,
    "counteroffensive": Layer.COUNTEROFFENSIVE,
    "counteroffensives": Layer.COUNTEROFFENSIVE,
    "counter-offensive": Layer.COUNTEROFFENSIVE,
}
KIND = ("drawn areas", "area", "published areas")


def layer_named(text: str | None) -> str | None:
    """The stored layer a file's (or --layer's) word names; None for an unknown word (none given: assessed)."""
    if text is None:
        return Layer.ASSESSED
    return LAYER_WORDS.get(" ".join(text.replace("_", " ").split()).casefold())


@dataclass
class DrawnImport:
    """What an import would write (unsaved areas) and everything wrong with it."""

    theatre: Theatre
    areas: list[DrawnArea] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def drawn_areas_import_check(
    *,
    paths: Sequence[str | Path],
    theatre: Theatre,
    options: ReadOptions,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> DrawnImport:
    """Every file read and checked and every feature resolved; writes nothing (see the module)."""
    today = today or timezone.localdate()
    read = read_drawn_files(
        [Path(p) for p in paths],
        options=options,
        within=theatre_shape(theatre),
        today=today,
        max_bytes=settings.DRAWN_FILE_MAX_BYTES,
        progress=progress,
    )
    result = DrawnImport(theatre=theatre, problems=list(read.problems), notes=list(read.notes))
    factions = faction_index()
    groups: dict[tuple, list] = {}
    for feature in read.features:
        faction, why = factions.find(feature.faction or "")
        layer = layer_named(feature.layer)
        if faction is None:
            result.problems.append(f"{feature.where}: {why}")
        if layer is None:
            known = ", ".join(sorted({str(v) for v in Layer}))
            result.problems.append(f"{feature.where}: no layer is called '{feature.layer}' (one of {known})")
        if faction is not None and layer is not None:
            groups.setdefault((faction.pk, str(layer), feature.drawn_on), []).append((feature, faction))
    files_of: dict[tuple, set[str]] = {key: {f.path.name for f, _ in rows} for key, rows in groups.items()}
    stored = _stored(theatre, groups)
    for key, rows in groups.items():
        faction = rows[0][1]
        day = key[2]
        if len(files_of[key]) > 1:
            result.problems.append(
                f"{', '.join(sorted(files_of[key]))}: each draw {faction.slug} ({key[1]}) on {day}; import one of them"
            )
            continue
        if key in stored:
            result.problems.append(
                f"{rows[0][0].path.name}: {faction.slug} already has a {key[1]} area on {day} "
                f"in {theatre.slug} ({stored[key]}); reject or retract it first"
            )
            continue
        geometry = _joined([f.geometry for f, _ in rows])
        result.areas.append(
            DrawnArea(
                theatre=theatre,
                faction=faction,
                layer=key[1],
                drawn_on=day,
                geometry=mapping(geometry),
                area_km2=float(spatial.area_km2(gpd.GeoSeries([geometry], crs=spatial.WGS84)).iloc[0]),
                file_name=rows[0][0].path.name[:500],
            )
        )
    result.areas.sort(key=lambda a: (a.drawn_on, a.faction.slug, a.layer))
    return result


def _joined(geometries) -> MultiPolygon:
    """One file's polygons of the same faction, layer and day as one valid MultiPolygon."""
    united = geometries[0] if len(geometries) == 1 else shapely.union_all(geometries)
    parts = [p for p in shapely.get_parts(united) if p.geom_type == "Polygon"]
    return MultiPolygon(parts)


def _stored(theatre: Theatre, groups) -> dict[tuple, str]:
    """The keys of ``groups`` already drawn (as a draft or published) in ``theatre``: {key: its state}."""
    days = {key[2] for key in groups}
    rows = DrawnArea.objects.filter(theatre=theatre, drawn_on__in=days, state__in=["draft", "published"])
    return {
        (f, str(layer), day): state
        for f, layer, day, state in rows.values_list("faction_id", "layer", "drawn_on", "state")
    }


def drawn_areas_import_allowed(*, by: Actor, publish: bool) -> None:
    """Raises PermissionDenied unless ``by`` may import drawn areas (and publish them): asked before reading."""
    user_require(user=by, perm=PERM_ADD, action="add drawn areas")
    if publish:
        user_require(user=by, perm=PERM_PUBLISH, action="publish drawn areas")


@transaction.atomic
def drawn_areas_import_commit(
    *, checked: DrawnImport, by: Actor, source: Source | None = None, publish: bool = False
) -> list[DrawnArea]:
    """Write the checked areas, all or none, as drafts (or published, for a reviewer, with a source).

    ``source``, unsaved or stored, is cited by every area; a new one is saved through ``source_save``.
    """
    drawn_areas_import_allowed(by=by, publish=publish)
    if checked.problems:
        raise ValidationError(checked.problems)
    if publish and source is None:
        raise ValidationError({"sources": "A published area needs a source (--source-title, --source-publisher)."})
    if source is not None and source.pk is None:
        source = source_save(source=source, by=by)
    now, actor = timezone.now(), acting_user(by)
    for area in checked.areas:
        area.entered_by_id = None if actor is None else actor.pk
        area.state = DrawnArea.State.PUBLISHED if publish else DrawnArea.State.DRAFT
        if publish:
            area.reviewed_by_id, area.reviewed_at = area.entered_by_id, now
        clean_refusing_nul(area)  # full_clean: fields, choices and the one-per-day constraint
        audit(area, by=by, reason="imported", public=False)  # one bump below, not one per area
        area.save()
        if source is not None:
            audit(area, by=by, reason="sources set", public=False)
            area.sources.set([source])
    if publish and checked.areas:
        revision_bump(theatres=theatres_of(checked.areas))  # their theatre's: another theatre's caches stay
    return checked.areas


def _published_check(current: DrawnArea) -> list[str]:
    if not current.sources.exists():
        raise ValidationError({"sources": "A published area needs at least one source."})
    return []


def drawn_area_transition(*, area: DrawnArea, by: Actor, move: Transition, reason: str = "") -> DrawnArea:
    return record_transition(record=area, by=by, move=move, reason=reason, check=_published_check, kind=KIND)


def drawn_area_publish(*, area: DrawnArea, by: Actor) -> DrawnArea:
    """A reviewer puts a drawn draft on the public map (it needs a source)."""
    return drawn_area_transition(area=area, by=by, move=PUBLISH)


def drawn_area_reject(*, area: DrawnArea, by: Actor, reason: str) -> DrawnArea:
    return drawn_area_transition(area=area, by=by, move=REJECT, reason=reason)


def drawn_area_retract(*, area: DrawnArea, by: Actor, reason: str) -> DrawnArea:
    """Take a published area off the map; the town rule (or an older drawing) shows again."""
    return drawn_area_transition(area=area, by=by, move=RETRACT, reason=reason)
