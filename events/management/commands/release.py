"""``manage.py release --theatre SLUG [--date D]``: a citable release (events.services.releases)."""

from django.core.management.base import BaseCommand, CommandError

from conflictmap.progress import ProgressBar
from events.params import ParameterError, parse_date
from events.services.releases import ReleaseError, release_create, release_path
from geodata.theatres import TheatreError, theatre_named


class Command(BaseCommand):
    help = (
        "Freeze a theatre's record as published now under the next release number: its changes as CSV in "
        "import_changes' format, the layers of --date as GeoJSON, metadata.json and CITATION.cff."
    )

    def add_arguments(self, parser):
        parser.add_argument("--theatre", help="The theatre's slug; needed when there are several.")
        parser.add_argument("--date", help="The day whose layers the release holds, YYYY-MM-DD (default: today).")

    def handle(self, *args, theatre, date, **options):
        try:
            found = theatre_named(theatre)
            on = parse_date(date, parameter="date")
        except TheatreError as exc:
            raise CommandError(str(exc)) from None
        except ParameterError as exc:
            raise CommandError(f"--date: {exc.message}") from None
        bar = ProgressBar(unit="row")
        try:
            release = release_create(theatre=found, on=on, progress=bar.update)
        except ReleaseError as exc:
            raise CommandError(str(exc)) from None
        finally:
            bar.close()
        self.stdout.write(
            f"Release {release.number} of {found.slug} ({release.date}, as published at "
            f"{release.moment.isoformat()}): {release.counts.get('changes', 0)} changes, "
            f"in {release_path(release)}"
        )
