import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections

from conflictmap.backup import BackupError, database_restore, summary_text, tables_summary


class Command(BaseCommand):
    help = (
        "Replace the whole database with a backup made by backup_data (all or nothing). Asks first; "
        "without a terminal, --yes is required."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="A backup file made by backup_data.")
        parser.add_argument("--yes", action="store_true", help="Overwrite the database without asking.")
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, file: Path, yes: bool, database: str, **options):
        connection = connections[database]
        name = connection.settings_dict["NAME"]
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError(f"Restoring {file} would overwrite every table of {name}; "
                                   "pass --yes (make restore FILE=... YES=1) to confirm. Nothing was changed.")
            answer = input(f"Overwrite every table of {name} with {file}? Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Not confirmed; nothing was changed.")
        connection.close()
        try:
            database_restore(database=connection.settings_dict, path=file)
        except BackupError as exc:
            raise CommandError(f"Restore failed, the database is unchanged: {exc}") from exc
        try:
            with connection.cursor() as cursor:
                summary = summary_text(tables_summary(cursor))
        except DatabaseError as exc:
            raise CommandError(f"Restored {name} from {file}, but reading it back failed: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {name} from {file}; it now holds:\n{summary}"))
