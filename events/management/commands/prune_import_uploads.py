"""Remove the admin import's uploaded files older than an hour (each new upload does it too)."""

from django.core.management.base import BaseCommand

from events.services.import_uploads import import_uploads_prune


class Command(BaseCommand):
    help = "Remove the admin import's waiting files older than an hour (the confirm removes its own)."

    def handle(self, *args, **options):
        removed = import_uploads_prune()
        self.stdout.write(f"Removed {removed} expired upload(s).")
