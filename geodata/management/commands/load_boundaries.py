from contextlib import closing
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from conflictmap.progress import ProgressBar
from geodata.boundaries import PRESETS, BoundaryFileError, FieldSpec
from geodata.boundary_checks import MAX_OVERLAP_SHARE
from geodata.presets import boundary_presets
from geodata.services import (
    AssignmentReport,
    BoundaryLoadError,
    BoundaryLoadReport,
    admin_areas_load,
    theatre_credit_from_preset,
)
from geodata.theatres import TheatreError, theatre_named


class Command(BaseCommand):
    help = (
        "Load admin boundaries (GeoJSON, Shapefile plain or zipped, GeoPackage). A dry run unless --commit; "
        "then towns are re-assigned to areas by spatial join."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--layer", help="the layer of a multi-layer file (GeoPackage, zip of shapefiles); default: the one "
            "polygon layer that has the name field",
        )
        parser.add_argument("--level", type=int, choices=[1, 2], default=1, help="1 governorates, 2 districts")
        parser.add_argument(
            "--preset", choices=sorted(PRESETS),
            help="the usual field names of a source (geodata/presets.json); a theatre without a boundaries credit "
            "takes the source's",
        )
        parser.add_argument("--name-field")
        parser.add_argument("--code-field")
        parser.add_argument("--name-ar-field")
        parser.add_argument("--parent-field", help="the parent governorate's code (level 2)")
        parser.add_argument("--country", help="ISO 3166-1 alpha-2 code when the area codes do not start with it")
        parser.add_argument(
            "--replace", action="store_true",
            help="replace stored areas that the file's new areas cover by half or more, though their names and "
            "codes differ (their towns are re-assigned, then they are deleted); without it such files are refused",
        )
        parser.add_argument(
            "--max-overlap", type=float, default=MAX_OVERLAP_SHARE * 100, metavar="PERCENT",
            help="refuse two areas of the level that overlap by more than this share of the smaller "
            f"(default {MAX_OVERLAP_SHARE * 100:g}%%)",
        )
        parser.add_argument(
            "--force", action="store_true",
            help="commit although the load is untrusted: a repair changing an area by more than 1%%, an overlap "
            "above --max-overlap, an area outside the stored country, or towns left outside every area",
        )
        parser.add_argument("--theatre", help="the theatre to load into, by slug (needed when there are several)")
        parser.add_argument("--commit", action="store_true", help="write (default: only report)")

    def handle(self, *args, file: Path, layer, level: int, preset, name_field, code_field, name_ar_field, parent_field,
               country, replace: bool, commit: bool, force: bool, max_overlap: float, **options):
        try:
            theatre = theatre_named(options["theatre"])
        except TheatreError as exc:
            raise CommandError(str(exc)) from None
        try:
            spec = FieldSpec.build(
                level=level, preset=preset, name_field=name_field, code_field=code_field,
                parent_field=parent_field, name_ar_field=name_ar_field,
            )
            with closing(ProgressBar(unit="area")) as bar:  # the bar goes before the report is printed
                report = admin_areas_load(
                    path=file, spec=spec, level=level, country=country, commit=commit, layer=layer,
                    replace=replace, force=force, theatre=theatre, max_overlap=max_overlap / 100, progress=bar.update,
                )
        except BoundaryFileError as exc:
            raise CommandError(str(exc)) from exc
        except BoundaryLoadError as exc:
            raise CommandError(
                "Boundaries rejected, nothing written:\n" + "\n".join(f"  {p}" for p in exc.problems)
            ) from exc
        lines = report_lines(report)
        if preset and (credited := theatre_credit_from_preset(
                theatre=theatre, preset=boundary_presets()[preset], commit=report.committed)):
            lines.insert(len(lines) - (not report.committed), credited)  # before a dry run's "add --commit"
        for line in lines:
            self.stdout.write(line)


def report_lines(report: BoundaryLoadReport) -> list[str]:
    verb = "" if report.committed else "would be "
    layer = report.layer
    where = f" from layer {layer.layer}" if layer.layer else ""
    out = [f"read {len(layer.frame)} level-{report.level} areas{where} (source CRS {layer.source_crs})"]
    out += [f"repaired: {r}" for r in layer.repairs]
    out += [f"overlap: {o}" for o in layer.overlaps]
    out += [f"{verb}created: {name}" for name in report.created]
    out += [f"{verb}updated: {name}" for name in report.updated]
    out += [f"overlap with a stored area: {o}" for o in report.stored_overlaps]
    out.append(
        f"{len(report.created)} {verb}created, {len(report.updated)} {verb}updated, {len(report.unchanged)} unchanged"
    )
    refused = "loaded although untrusted (--force)" if report.forced else "refused on --commit unless --force"
    out += [f"{refused}: {finding}" for finding in report.trust.findings]
    if report.assignment:
        out += assignment_lines(report.assignment)
    if not report.committed:
        out.append(f"towns that would change area: {len(report.trust.moves)}")
        out += [f"  {town}: {old} → {new}" for town, old, new in report.trust.moves]
        out += [f"  {town}: would leave {old} and be outside every area" for town, old in report.trust.unassigned]
        out.append("dry run: nothing written; add --commit to write")
    return out


def assignment_lines(report: AssignmentReport) -> list[str]:
    out = [f"towns re-assigned: {len(report.changed)}, unchanged: {report.unchanged}"]
    out += [f"  {t}: {old or '-'} → {new or '-'}" for t, old, new in report.changed]
    out += [
        f"  {t}: {d / 1000:,.1f} km outside every area, left unassigned" if d is not None
        else f"  {t}: outside every area, left unassigned"
        for t, d in report.outside
    ]
    return out
