"""python manage.py add_theatre SLUG --name NAME [--default-date D] [--bbox W,S,E,N] [credits]"""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from geodata.services.theatres import theatre_create

OPTIONS = {"slug": "SLUG", "name": "--name", "default_date": "--default-date", "view_bbox": "--bbox"}


class Command(BaseCommand):
    help = (
        "Start another conflict: a theatre with its own areas, towns and control log. Then load its boundaries "
        "(load_boundaries --theatre SLUG), towns (load_towns --theatre SLUG) and changes "
        "(import_changes --theatre SLUG)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug", help="short name in addresses and commands, e.g. sudan")
        parser.add_argument("--name", required=True, help="the name readers see, e.g. Sudan")
        parser.add_argument("--default-date", help="the day the map opens on, YYYY-MM-DD (default: the latest change)")
        parser.add_argument("--bbox", help="the default view as west,south,east,north (default: the areas' extent)")
        parser.add_argument("--boundaries-credit", default="")
        parser.add_argument("--gazetteer-credit", default="")
        parser.add_argument("--control-credit", default="")

    def handle(
        self, *args, slug, name, default_date, bbox, boundaries_credit, gazetteer_credit, control_credit, **options
    ):
        day = None
        if default_date:
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", default_date):
                    raise ValueError(default_date)
                day = dt.date.fromisoformat(default_date)
            except ValueError:
                raise CommandError(f"--default-date: '{default_date}' is not a date in YYYY-MM-DD form.") from None
        view = None
        if bbox:
            try:
                view = [float(v) for v in bbox.split(",")]
            except ValueError:
                raise CommandError(f"--bbox: '{bbox}' is not four numbers west,south,east,north.") from None
        try:
            theatre = theatre_create(
                slug=slug,
                name=name,
                default_date=day,
                view_bbox=view,
                boundaries_credit=boundaries_credit,
                gazetteer_credit=gazetteer_credit,
                control_credit=control_credit,
            )
        except ValidationError as exc:
            lines = [
                f"  {OPTIONS.get(f, '--' + f.replace('_', '-'))}: {' '.join(m)}" for f, m in exc.message_dict.items()
            ]
            raise CommandError("Theatre not created:\n" + "\n".join(lines)) from None
        self.stdout.write(self.style.SUCCESS(f"Created theatre {theatre.slug} ({theatre.name})."))
