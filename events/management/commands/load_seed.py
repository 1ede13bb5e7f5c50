from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from events.seeding import SEED_DIR, SeedError, SeedReport, seed_scenario_load


def report_text(report: SeedReport) -> str:
    """One clause per kind: what this load created or updated, and what was already present."""
    kinds = [k for k in ("theatre", "admin areas", "towns", "factions", "sources", "control changes")
             if report.created[k] or report.updated[k] or report.present[k]]
    return "; ".join(
        f"{kind}: {report.created[kind]} new"
        + (f", {report.updated[kind]} updated" if report.updated[kind] else "")
        + f", {report.present[kind]} already present"
        for kind in kinds
    )


class Command(BaseCommand):
    help = (
        "Load the shipped scenario from seeds/ (its theatre from theatre.json) through the boundary, town and "
        "change loaders (all or nothing; loading again changes nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=SEED_DIR, help="Seed directory.")

    def handle(self, *args, dir: Path, **options):
        try:
            report = seed_scenario_load(directory=dir)
        except SeedError as exc:
            raise CommandError(f"Seed data rejected, nothing written:\n{exc}") from exc
        changed = sum(report.created.values()) + sum(report.updated.values())
        verdict = "Seed scenario loaded" if changed else "Seed scenario already loaded, nothing changed"
        self.stdout.write(self.style.SUCCESS(f"{verdict}: {report_text(report)}"))
