"""``python -m bench.build --towns N --changes M``: migrate DATABASE_URL's database and write the country."""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings.test")
os.environ["DEBUG"] = "0"  # no query log: a million inserts would keep every statement in memory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--towns", type=int, required=True)
    parser.add_argument("--changes", type=int, required=True)
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.country import country_build
    from bench.database import MARKER

    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate = time.perf_counter() - start
    report = country_build(towns=args.towns, changes=args.changes)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("ANALYZE")
        cursor.execute(f"CREATE TABLE {MARKER} (seconds_json TEXT)")
        cursor.execute(f"INSERT INTO {MARKER} VALUES (%s)",
                       [json.dumps({"migrate": migrate, **report.seconds, "counts": report.counts})])
    connection.close()
    print(f"built in {time.perf_counter() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
