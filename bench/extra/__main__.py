"""Run the component benches against a throwaway SQLite database."""

import importlib
import os
import pkgutil
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings.test")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='conflictmap-bench-')}/bench.sqlite3")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from bench.extra import report

    call_command("migrate", verbosity=0)
    only = sys.argv[1:]
    for info in sorted(pkgutil.iter_modules([str(Path(__file__).parent)]), key=lambda m: m.name):
        if not info.name.startswith("bench_") or (only and info.name not in only):
            continue
        print(f"== {info.name}")
        importlib.import_module(f"bench.extra.{info.name}").run(report)


if __name__ == "__main__":
    main()
