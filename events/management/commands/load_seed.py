from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from events.seeding import SEED_DIR, SeedError, seed_scenario_load


class Command(BaseCommand):
    help = "Load the shipped Syria 2017 scenario from seeds/ (idempotent; all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=SEED_DIR, help="Seed directory.")

    def handle(self, *args, dir: Path, **options):
        try:
            report = seed_scenario_load(directory=dir)
        except SeedError as exc:
            raise CommandError(f"Seed data rejected, nothing written:\n{exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Seed scenario loaded: {report}"))
