"""python manage.py import_changes FILE [--commit] [--publish] [--skip-present] [--user NAME]"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from events.imports import changes_import_check, changes_import_commit


class Command(BaseCommand):
    help = (
        "Check a CSV of control changes and say what each row would do. Nothing is written unless "
        "--commit is given and every row is good. The columns are described in seeds/examples/changes.csv."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--commit", action="store_true", help="Write the changes (default: dry run).")
        parser.add_argument("--publish", action="store_true",
                            help="Publish the changes at once instead of entering them as drafts for review.")
        parser.add_argument("--skip-present", action="store_true",
                            help="Leave out rows whose town, date and part of day already have a change "
                                 "(a file loaded before) instead of refusing them.")
        parser.add_argument("--user", help="Record the changes as entered by this user (and check their roles).")

    def handle(self, *args, file: Path, commit: bool, publish: bool, skip_present: bool, user: str | None,
               **options):
        by = None
        if user:
            try:
                by = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user is called '{user}'.") from None
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc

        plan = changes_import_check(text=text, publish=publish, skip_present=skip_present)
        if plan.errors:
            for error in plan.errors:
                self.stderr.write(f"{file}: {error}")
            bad_lines = len({e.line for e in plan.errors})
            raise CommandError(f"{bad_lines} bad row(s); nothing was written.")
        if options["verbosity"] >= 2 or not commit:
            for row in plan.rows[: None if options["verbosity"] >= 2 else 20]:
                self.stdout.write(f"line {row.line}: {row.effect}")
            if len(plan.rows) > 20 and options["verbosity"] < 2:
                self.stdout.write(f"... and {len(plan.rows) - 20} more (-v 2 lists every row)")
        summary = f"{len(plan.rows)} row(s) good, {plan.new_sources} new source(s)"
        if skip_present:
            summary += f", {len(plan.present)} row(s) already present"
        if not plan.rows:
            self.stdout.write(f"{summary}. Nothing to import.")
            return
        if not commit:
            self.stdout.write(f"{summary}. Dry run: nothing was written; add --commit to import.")
            return
        created = changes_import_commit(plan=plan, by=by)
        state = "published" if publish else "drafts awaiting review"
        self.stdout.write(self.style.SUCCESS(f"{summary}. Imported {len(created)} change(s) as {state}."))
