from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from conflictmap.faults import disk_full_command_error
from conflictmap.progress import ProgressBar
from geodata.presets import town_presets
from geodata.services import TownLoadReport, theatre_credit_from_preset, towns_load
from geodata.theatres import TheatreError, theatre_named
from geodata.town_files import FORMATS, PRESETS, TownFields, TownFileError


class Command(BaseCommand):
    help = (
        "Load towns from a GeoNames dump, a CSV, GeoJSON, a Shapefile or a GeoPackage (points or one-point "
        "MultiPoints). Rows are matched to stored towns by id (P-code, GeoNames id), then by name within 5 km; "
        "matched towns take the ids and alternate names they lack. All or nothing; a dry run unless --commit. "
        "A summary first (counts, merges, near misses, admin code mismatches, problems); -v 2 lists every town."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS,
                            help="default: from the file name's extension (ogr: .shp, .zip, .gpkg)")
        parser.add_argument(
            "--preset", choices=sorted(PRESETS),
            help="the usual field names of a source (geodata/presets.json); a theatre without a gazetteer credit "
            "takes the source's",
        )
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
            "--drop-cut-letters", action="store_true",
            help="a value that is UTF-8 cut off inside its last letter (OCHA's 50-byte fields) loses that letter "
                 "(each one reported) instead of being refused",
        )
        parser.add_argument(
            "--allow-outside", action="store_true",
            help="accept towns more than 1 km outside every loaded boundary (marked as outside)",
        )
        parser.add_argument("--theatre", help="the theatre to load into, by slug (needed when there are several)")
        parser.add_argument("--commit", action="store_true", help="write (default: only report)")

    def handle(self, *args, file: Path, format, preset, name_field, alt_name_fields, id_field, id_scheme,
               lat_field, lon_field, layer, encoding, drop_cut_letters: bool, allow_outside: bool, commit: bool,
               **options):
        try:
            theatre = theatre_named(options["theatre"])
        except TheatreError as exc:
            raise CommandError(str(exc)) from None
        bar = ProgressBar(unit="town")
        format = format or (town_presets()[preset].format if preset else None)  # a GeoNames dump is its own format
        try:
            fields = TownFields.build(
                preset=preset, name_field=name_field, id_field=id_field, id_scheme=id_scheme,
                alt_name_fields=alt_name_fields.split(",") if alt_name_fields is not None else None,
                lat_field=lat_field, lon_field=lon_field,
            )
            with disk_full_command_error("nothing was written"):  # all or nothing
                report = towns_load(
                    path=file, file_format=format, commit=commit, allow_outside=allow_outside, fields=fields,
                    encoding=encoding, layer=layer, drop_cut_letters=drop_cut_letters, theatre=theatre,
                    progress=bar.update,
                )
        except TownFileError as exc:
            bar.close()
            if exc.report is not None:  # the rest of the file, reviewed in the same run
                for line in report_lines(exc.report, every_town=options["verbosity"] >= 2, dry_run=not commit):
                    self.stdout.write(line)
            raise CommandError("\n".join(problem_lines(exc))) from exc
        finally:
            bar.close()
        lines = report_lines(report, every_town=options["verbosity"] >= 2, dry_run=not commit)
        if preset and (credited := theatre_credit_from_preset(
                theatre=theatre, preset=town_presets()[preset], commit=report.committed)):
            lines.insert(len(lines) - (not report.committed), credited)  # before a dry run's "add --commit"
        for line in lines:
            self.stdout.write(line)


def report_lines(report: TownLoadReport, *, every_town: bool = False, dry_run: bool = True) -> list[str]:
    """The counts, then what needs a look (merges, near misses, admin code mismatches, values read
    another way), then with ``every_town`` each town created or already present."""
    verb = "" if report.committed else "would be "
    problems = f", {len(report.problems)} problems (listed last)" if report.problems else ""
    out = [
        f"{len(report.created)} {verb}created, {len(report.present)} already present, "
        f"{len(report.duplicates)} duplicates in the file, {report.skipped} rows not populated places",
        f"{len(report.merged)} {verb}merged into stored towns, {len(report.near_misses)} near misses to review, "
        f"{len(report.admin_mismatches)} admin code mismatches{problems}",
    ]
    out += [f"{verb}merged: {m}" for m in report.merged]
    out += [f"near miss, review: {n}" for n in report.near_misses]
    out += [f"admin code mismatch: {m}" for m in report.admin_mismatches]
    out += [f"duplicate in file: {d}" for d in report.duplicates]
    out += [f"decoded: {d}" for d in report.decoded]
    out += [f"cut letter dropped: {d}" for d in report.cut_letters]
    if every_town:
        out += [f"{verb}created: {n}" for n in report.created]
        out += [f"already present: {n}" for n in report.present]
    elif report.created or report.present:
        towns = "the town" if len(report.created) == 1 else f"the {len(report.created)} towns"
        listed = [f"{towns} {'that would be created' if verb else 'created'}"]
        listed += [f"the {len(report.present)} already present"] if report.present else []
        out.append(f"-v 2 lists {' and '.join(listed)}")
    if dry_run:  # (a refused --commit says so in its error)
        out.append("dry run: nothing written; add --commit to write")
    return out


def problem_lines(exc: TownFileError) -> list[str]:
    report = exc.report
    count = f": {len(exc.errors)} problem{'s' if len(exc.errors) != 1 else ''}" if report is not None else ":"
    out = [f"Towns rejected, nothing written{count}", *(f"  {e}" for e in exc.errors)]
    if report is not None and report.outside:
        towns = "town" if report.outside == 1 else f"{report.outside} towns"
        out.append(f"  --allow-outside loads the {towns} outside every area, marked as outside")
    return out
