"""python manage.py import_control_areas FILE... --theatre SLUG --faction F --date D [--layer L] [--commit]"""

import datetime as dt
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from conflictmap.faults import disk_full_command_error
from conflictmap.progress import ProgressBar
from events.drawn_models import DrawnArea
from events.models import Source
from events.permissions import Actor, SystemActor
from events.services.drawn_areas import (
    drawn_areas_import_allowed,
    drawn_areas_import_check,
    drawn_areas_import_commit,
    layer_named,
)
from events.services.drawn_towns import DerivedTowns, drawn_towns_propose
from geodata.drawn_files import ReadOptions, name_pattern
from geodata.theatres import TheatreError, theatre_named

LAYERS = [str(v) for v in DrawnArea.Layer]


class Command(BaseCommand):
    help = (
        "Check files of control drawn as polygons (GeoJSON, GeoPackage, zipped Shapefile, KML/KMZ; a folder "
        "reads every such file in it) and say what each would store. Nothing is written unless --commit is "
        "given and every feature of every file is good."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--theatre", help="The theatre the areas are drawn in, by slug.")
        parser.add_argument("--faction", help="The faction whose area every feature is (slug, name or alias).")
        parser.add_argument("--date", help="The day every feature was drawn for, YYYY-MM-DD.")
        parser.add_argument("--layer", help=f"The layer of every feature: {', '.join(LAYERS)} (default assessed).")
        parser.add_argument("--date-field", help="Take each feature's date from this field instead.")
        parser.add_argument("--faction-field", help="Take each feature's faction from this field instead.")
        parser.add_argument("--layer-field", help="Take each feature's layer from this field instead.")
        parser.add_argument(
            "--date-from-name",
            metavar="PATTERN",
            help="Take each file's date from its name: a pattern with %%Y, %%m and %%d, "
            "e.g. deepstatemap_data_%%Y%%m%%d (* matches anything).",
        )
        parser.add_argument("--source-url", default="")
        parser.add_argument("--source-title", default="")
        parser.add_argument("--source-publisher", default="")
        parser.add_argument("--commit", action="store_true", help="Write the areas (default: dry run).")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish at once (needs a source) instead of entering drafts for review.",
        )
        parser.add_argument("--user", help="Record the areas as entered by this user (and check their roles).")
        parser.add_argument(
            "--derive-towns",
            action="store_true",
            help="Also propose, as drafts for review, a control change for each town inside a drawn assessed "
            "area but recorded for another side that day (listed only, in a dry run).",
        )

    def handle(self, *args, files: list[Path], commit: bool, publish: bool, **options):
        try:
            theatre = theatre_named(options["theatre"])
        except TheatreError as exc:
            raise CommandError(str(exc)) from None
        read = self._options(options)
        by: Actor = SystemActor("import_control_areas")
        if options["user"]:
            try:
                by = get_user_model().objects.get_by_natural_key(options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user is called '{options['user']}'.") from None
        try:  # before reading the files: a refusal after a long check would waste the operator's time
            drawn_areas_import_allowed(by=by, publish=publish)
        except PermissionDenied as exc:
            hint = " Leave out --publish to enter drafts for a reviewer." if publish else ""
            raise CommandError(f"User '{options['user']}' cannot import these areas: {exc}{hint}") from None
        source = self._source(options, publish)
        bar = ProgressBar(unit="file")
        try:
            checked = drawn_areas_import_check(paths=files, theatre=theatre, options=read, progress=bar.update)
        finally:
            bar.close()
        for note in checked.notes:
            self.stdout.write(f"note: {note}")
        if checked.problems:
            for problem in checked.problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(checked.problems)} problem(s); nothing was written.")
        for area in checked.areas[: None if options["verbosity"] >= 2 else 20]:
            self.stdout.write(
                f"{area.file_name}: {area.faction.slug} {area.layer} on {area.drawn_on}: {area.area_km2:,.1f} km²"
            )
        if len(checked.areas) > 20 and options["verbosity"] < 2:
            self.stdout.write(f"... and {len(checked.areas) - 20} more (-v 2 lists every area)")
        summary = f"{len(checked.areas)} area(s) good in {theatre.slug}"
        if not commit:
            if options["derive_towns"]:
                sources = [] if source is None else [source]
                preview = drawn_towns_propose(areas=checked.areas, by=by, sources=sources)
                self._report(preview, commit=False)
            self.stdout.write(f"{summary}. Dry run: nothing was written; add --commit to import.")
            return
        try:
            with disk_full_command_error("nothing was written"), transaction.atomic():  # all or nothing
                created = drawn_areas_import_commit(checked=checked, by=by, source=source, publish=publish)
                # The drafts the areas imply, in the same transaction: a refused proposal writes no area either.
                derived = drawn_towns_propose(areas=created, by=by, commit=True) if options["derive_towns"] else None
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError("; ".join(messages) + " Nothing was written.") from None
        if derived is not None:
            self._report(derived, commit=True)
        state = "published" if publish else "drafts awaiting review"
        self.stdout.write(self.style.SUCCESS(f"{summary}. Imported {len(created)} area(s) as {state}."))

    def _report(self, derived: DerivedTowns, *, commit: bool) -> None:
        """--derive-towns: the drafts the areas imply, one line a town, and those left alone with why."""
        for change in derived.proposed:
            self.stdout.write(
                f"town {change.town.name}: {change.faction.slug} from {change.effective_date} (draft for review)"
            )
        for why in derived.skipped:
            self.stdout.write(f"town {why}")
        verb = "Proposed" if commit else "Would propose"
        self.stdout.write(f"{verb} {len(derived.proposed)} control change(s) as drafts from the drawn areas.")

    def _options(self, options) -> ReadOptions:
        drawn_on = None
        if options["date"]:
            try:
                drawn_on = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date '{options['date']}' is not a date (YYYY-MM-DD).") from None
        if options["layer"] and layer_named(options["layer"]) is None:
            raise CommandError(f"--layer '{options['layer']}' is not one of {', '.join(LAYERS)}.")
        if options["date_from_name"]:
            try:
                name_pattern(options["date_from_name"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        return ReadOptions(
            drawn_on=drawn_on,
            faction=options["faction"],
            layer=options["layer"],
            date_field=options["date_field"],
            faction_field=options["faction_field"],
            layer_field=options["layer_field"],
            date_from_name=options["date_from_name"],
        )

    def _source(self, options, publish: bool) -> Source | None:
        url, title, publisher = options["source_url"], options["source_title"], options["source_publisher"]
        if not (url or title or publisher):
            if publish:
                raise CommandError("--publish needs a source: give --source-title and --source-publisher.")
            return None
        if not (title and publisher):
            raise CommandError("A source needs --source-title and --source-publisher (and --source-url if it has one).")
        found = Source.objects.filter(url=url, title=title, publisher=publisher).first() if url else None
        return found or Source(url=url, title=title, publisher=publisher)
