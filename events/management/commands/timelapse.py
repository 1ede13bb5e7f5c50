from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from conflictmap.progress import ProgressBar
from events.params import ParameterError
from events.timelapse import FORMATS, STEPS, TimelapseParameters, timelapse_build
from geodata.theatres import TheatreError, theatre_named

from .export_geojson import _write_atomically


class Command(BaseCommand):
    help = (
        "Write a timelapse of a theatre's map as a GIF or MP4 (by --out's extension): the map on --from, "
        "then one frame per change date (or per day, --step days) up to --to, as /timelapse.gif serves it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--theatre", help="The theatre (a slug); needed when there are several.")
        parser.add_argument("--from", dest="start", required=True, help="The first frame's day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", required=True, help="The last day, YYYY-MM-DD.")
        parser.add_argument("--step", default="changes", help=f"One frame per: {' or '.join(STEPS)} (default changes).")
        parser.add_argument("--width", help="Frame width in pixels (default 800; at most TIMELAPSE_MAX_WIDTH).")
        parser.add_argument(
            "--out", required=True, help=f"The file to write: its extension ({', '.join(FORMATS)}) is the format."
        )

    def handle(self, *args, theatre, start, end, step, width, out, **options):
        path = Path(out)
        if not theatre:  # a command names its theatre when there are several (the page's URL takes the default)
            try:
                theatre = theatre_named(None).slug
            except TheatreError as exc:
                raise CommandError(f"--theatre: {exc}") from exc
        params = {
            k: v for k, v in {"theatre": theatre, "from": start, "to": end, "step": step, "width": width}.items() if v
        }
        bar = ProgressBar(unit="frame")
        try:
            p = TimelapseParameters.parse(params, fmt=path.suffix.lstrip("."))
            made = timelapse_build(p, progress=bar.update)
        except ParameterError as exc:
            name = {"format": "--out", "frames": "--from/--to"}.get(exc.parameter, f"--{exc.parameter}")
            raise CommandError(f"{name}: {exc.message}") from exc
        finally:
            bar.close()
        try:
            size = _write_atomically(path, [made.content])
        except OSError as exc:
            raise CommandError(f"--out: cannot write {out}: {exc.strerror or exc}.") from exc
        self.stderr.write(f"Wrote {made.frames} frames, {size:,} bytes, to {out}.")
