"""python manage.py import_changes FILE [--commit] [--publish] [--skip-present] [--user NAME]"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from conflictmap.faults import disk_full_command_error
from conflictmap.progress import ProgressBar
from events.imports import ImportRejected, changes_import_check, changes_import_commit
from events.permissions import Actor, SystemActor
from events.services import control_changes_create_allowed
from geodata.theatres import TheatreError, theatre_named


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
        parser.add_argument("--theatre", help="The theatre whose towns the rows name, by slug (needed when there are "
                                              "several).")

    def handle(self, *args, file: Path, commit: bool, publish: bool, skip_present: bool, user: str | None,
               **options):
        try:
            theatre = theatre_named(options["theatre"])
        except TheatreError as exc:
            raise CommandError(str(exc)) from None
        by: Actor = SystemActor("import_changes")  # the operator, with no --user: recorded as the system
        if user:
            try:
                by = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user is called '{user}'.") from None
        try:  # before reading the file: a refusal after a long check would waste the operator's time
            control_changes_create_allowed(by=by, publish=publish)
        except PermissionDenied as exc:
            hint = " Leave out --publish to enter drafts for a reviewer." if publish else ""
            raise CommandError(f"User '{user}' cannot import these changes: {exc}{hint}") from None
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc

        bar = ProgressBar(unit="row")
        try:
            plan = changes_import_check(
                text=data, publish=publish, skip_present=skip_present, progress=bar.update, theatre=theatre)
        finally:
            bar.close()
        if plan.errors:
            self._refuse(file, plan.errors)
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
        bar = ProgressBar(unit="row")
        try:
            with disk_full_command_error("nothing was written"):  # one transaction: all or nothing
                created = changes_import_commit(plan=plan, by=by, progress=bar.update)
        except ImportRejected as exc:  # another write stored a clashing change since the check
            self._refuse(file, exc.errors)
        finally:
            bar.close()
        state = "published" if publish else "drafts awaiting review"
        self.stdout.write(self.style.SUCCESS(f"{summary}. Imported {len(created)} change(s) as {state}."))

    def _refuse(self, file: Path, errors) -> None:
        for error in errors:
            self.stderr.write(f"{file}: {error}")
        raise CommandError(f"{len({e.line for e in errors})} bad row(s); nothing was written.")
