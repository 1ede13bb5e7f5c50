import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from events.exports import LAYERS, ExportParameterError
from geodata.models import Theatre
from geodata.theatres import TheatreError, theatre_named

DATED = {"control", "provinces", "areas"}
PERIOD = {"changes", "changes-csv", "control-spans"}
THEATRED = {"control", "provinces", "areas", "changes", "changes-csv", "control-spans"}  # take --theatre


class Command(BaseCommand):
    help = (
        "Write a layer exactly as the API serves it: control, provinces, areas (--date) "
        "or changes / changes-csv / control-spans (--from, --to); NAME.gpkg or NAME.kml for a GeoPackage "
        "or KML file. changes-csv is in import_changes' format: "
        "the whole period (no --from/--to) imports into a database with the same towns and factions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--layer", required=True, choices=sorted(LAYERS))
        parser.add_argument("--date", help="Control as of this day, YYYY-MM-DD (default: the latest change).")
        parser.add_argument("--from", dest="start", help="First day of the changes, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", help="Last day of the changes, YYYY-MM-DD.")
        parser.add_argument("--faction", help="Only this faction and the groups that roll up into it.")
        parser.add_argument("--level", help="provinces: 1 for governorates (default), 2 for districts.")
        parser.add_argument("--theatre", help="Only this theatre's towns, areas and changes (every layer); "
                                              "needed when there are several.")
        parser.add_argument("--out", required=True, help="File to write, or - for standard output.")

    def handle(self, *args, layer, date, start, end, faction, level, out, theatre, **options):
        kind = layer.removesuffix(".gpkg").removesuffix(".kml")  # the same layer as a GeoPackage or KML file
        if kind in DATED and (start or end):
            raise CommandError(f"--from/--to apply to the changes layers, not '{layer}'; use --date.")
        if kind in PERIOD and date:
            raise CommandError(f"--date applies to the dated layers, not '{layer}'; use --from/--to.")
        # The same parameter names as the API's query string, so both are checked by one parser.
        if level and kind != "provinces":
            raise CommandError(f"--level applies to the provinces layer, not '{layer}'.")
        if kind in THEATRED:
            try:  # with one theatre none need be named; with several, one must
                theatre = theatre_named(theatre).slug
            except TheatreError as exc:
                raise CommandError(str(exc)) from None
            if Theatre.objects.count() == 1:
                theatre = None  # the file of every town, byte for byte as before theatres
        elif theatre:
            raise CommandError(f"--theatre applies to the control, provinces and changes layers, not '{layer}' (yet).")
        params = {k: v for k, v in {"date": date, "from": start, "to": end, "faction": faction,
                                    "level": level, "theatre": theatre}.items() if v}
        try:
            export = LAYERS[layer].export(params)
        except ExportParameterError as exc:
            raise CommandError(f"--{exc.parameter}: {exc.message}") from exc
        if out == "-":
            for chunk in export.chunks():
                sys.stdout.buffer.write(chunk)
            return
        try:
            size = _write_atomically(Path(out), export.chunks())
        except OSError as exc:
            raise CommandError(f"--out: cannot write {out}: {exc.strerror or exc}.") from exc
        self.stderr.write(f"Wrote {size:,} bytes to {out} ({layer}).")


def _write_atomically(path: Path, chunks: Iterable[bytes]) -> int:
    """Write ``chunks`` as they come (a streamed layer is never whole in memory); returns the size.

    A reader never sees half a file: write beside the target, then rename over it.
    """
    path = path.resolve()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    size = 0
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                size += fh.write(chunk)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return size
