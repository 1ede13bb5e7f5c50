from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone

from conflictmap.backup import BackupError, database_backup_summarised, engine_of, summary_text


class Command(BaseCommand):
    help = (
        "Back up the whole database while the app keeps serving: pg_dump (custom format) on PostgreSQL, "
        "the SQLite online backup API on SQLite. Restore with restore_data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Backup file (default: var/backups/conflictmap-<time>.<ext>).")
        parser.add_argument("--database", default="default", help="Database alias (default: default).")

    def handle(self, *args, output: Path | None, database: str, **options):
        connection = connections[database]
        try:
            suffix = "dump" if engine_of(connection.settings_dict) == "postgresql" else "sqlite3"
            path = output or Path("var") / "backups" / f"conflictmap-{timezone.now():%Y%m%d-%H%M%S}.{suffix}"
            connection.close()
            # The counts are read from the backup's own snapshot (SQLite: from the written file).
            path, summaries = database_backup_summarised(database=connection.settings_dict, path=path)
        except BackupError as exc:
            raise CommandError(f"Backup failed, nothing written: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Backed up {connection.settings_dict['NAME']} to {path}"))
        self.stdout.write(f"The backup holds:\n{summary_text(summaries)}")
