from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from conflictmap.faults import disk_full_command_error
from conflictmap.progress import ProgressBar
from geodata.services import TownLoadReport, towns_load
from geodata.town_files import FORMATS, PRESETS, TownFields, TownFileError


class Command(BaseCommand):
    help = (
        "Load towns from a GeoNames dump, a CSV, GeoJSON, a Shapefile or a GeoPackage (points or one-point "
        "MultiPoints). Rows are matched to stored towns by id (P-code, GeoNames id), then by name within 5 km; "
        "matched towns take the ids and alternate names they lack. All or nothing; a dry run unless --commit."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS,
                            help="default: from the file name's extension (ogr: .shp, .zip, .gpkg)")
        parser.add_argument("--preset", choices=sorted(PRESETS), help="the usual field names of a source (ocha)")
        parser.add_argument("--name-field")
        parser.add_argument("--alt-name-fields", help="comma-separated fields of alternate names (e.g. NAME_ARA)")
        parser.add_argument("--id-field", help="a stable external id (e.g. PCODE), kept in the town's external ids")
        parser.add_argument("--id-scheme", help="the key the external id is kept under (default: the field's name)")
        parser.add_argument("--lat-field")
        parser.add_argument("--lon-field")
        parser.add_argument("--layer", help="the layer of a GeoPackage (default: its one point layer)")
        parser.add_argument(
            "--encoding", help="read text that is not UTF-8 in this encoding (e.g. cp1256, latin-1), value by value",
        )
        parser.add_argument(
            "--allow-outside", action="store_true",
            help="accept towns more than 1 km outside every loaded boundary (marked as outside)",
        )
        parser.add_argument("--commit", action="store_true", help="write (default: only report)")

    def handle(self, *args, file: Path, format, preset, name_field, alt_name_fields, id_field, id_scheme,
               lat_field, lon_field, layer, encoding, allow_outside: bool, commit: bool, **options):
        bar = ProgressBar(unit="town")
        try:
            fields = TownFields.build(
                preset=preset, name_field=name_field, id_field=id_field, id_scheme=id_scheme,
                alt_name_fields=alt_name_fields.split(",") if alt_name_fields is not None else None,
                lat_field=lat_field, lon_field=lon_field,
            )
            with disk_full_command_error("nothing was written"):  # all or nothing
                report = towns_load(
                    path=file, file_format=format, commit=commit, allow_outside=allow_outside, fields=fields,
                    encoding=encoding, layer=layer, progress=bar.update,
                )
        except TownFileError as exc:
            raise CommandError(
                "Towns rejected, nothing written:\n" + "\n".join(f"  {e}" for e in exc.errors)
            ) from exc
        finally:
            bar.close()
        for line in report_lines(report):
            self.stdout.write(line)


def report_lines(report: TownLoadReport) -> list[str]:
    verb = "" if report.committed else "would be "
    out = [f"{verb}created: {n}" for n in report.created]
    out += [f"{verb}merged: {m}" for m in report.merged]
    out += [f"already present: {n}" for n in report.present]
    out += [f"duplicate in file: {d}" for d in report.duplicates]
    out += [f"near miss, review: {n}" for n in report.near_misses]
    out += [f"admin code mismatch: {m}" for m in report.admin_mismatches]
    out += [f"decoded: {d}" for d in report.decoded]
    out.append(
        f"{len(report.created)} {verb}created, {len(report.present)} already present, "
        f"{len(report.duplicates)} duplicates in the file, {report.skipped} rows not populated places"
    )
    out.append(
        f"{len(report.merged)} {verb}merged into stored towns, {len(report.near_misses)} near misses to review, "
        f"{len(report.admin_mismatches)} admin code mismatches"
    )
    if not report.committed:
        out.append("dry run: nothing written; add --commit to write")
    return out
