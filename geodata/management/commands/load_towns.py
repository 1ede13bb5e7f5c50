from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geodata.services import TownLoadReport, towns_load
from geodata.town_files import FORMATS, TownFileError


class Command(BaseCommand):
    help = (
        "Load towns from a GeoNames dump, a CSV (name, alternate names, lat, lon, population) or GeoJSON "
        "points. Duplicates are matched by GeoNames id, then by name within 2 km. All or nothing; a dry run "
        "unless --commit."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=FORMATS, help="default: from the file name's extension")
        parser.add_argument(
            "--allow-outside", action="store_true",
            help="accept towns more than 1 km outside every loaded boundary (marked as outside)",
        )
        parser.add_argument("--commit", action="store_true", help="write (default: only report)")

    def handle(self, *args, file: Path, format, allow_outside: bool, commit: bool, **options):
        try:
            report = towns_load(path=file, file_format=format, commit=commit, allow_outside=allow_outside)
        except TownFileError as exc:
            raise CommandError(
                "Towns rejected, nothing written:\n" + "\n".join(f"  {e}" for e in exc.errors)
            ) from exc
        for line in report_lines(report):
            self.stdout.write(line)


def report_lines(report: TownLoadReport) -> list[str]:
    verb = "" if report.committed else "would be "
    out = [f"{verb}created: {n}" for n in report.created]
    out += [f"already present: {n}" for n in report.present]
    out += [f"duplicate in file: {d}" for d in report.duplicates]
    out.append(
        f"{len(report.created)} {verb}created, {len(report.present)} already present, "
        f"{len(report.duplicates)} duplicates in the file, {report.skipped} rows not populated places"
    )
    if not report.committed:
        out.append("dry run: nothing written; add --commit to write")
    return out
