"""Row counts of every table, to prove a migration kept every row.

Run it from the checkout whose settings should open the database, before and
after migrating, and compare the two files::

    DJANGO_DEBUG=1 DATABASE_URL=sqlite:////tmp/demo.sqlite3 python bench/table_counts.py > before.json
    (migrate with the newer checkout)
    DJANGO_DEBUG=1 DATABASE_URL=sqlite:////tmp/demo.sqlite3 python bench/table_counts.py --compare before.json

Only Django's connection is used, so any version of the site can run it.
``django_migrations`` is expected to grow by the migrations that were applied.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        result = {}
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from the database
            result[table] = cursor.fetchone()[0]
    return result


def main() -> int:
    sys.path.insert(0, os.getcwd())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    now = counts()
    if "--compare" not in sys.argv:
        print(json.dumps(now, indent=1, sort_keys=True))
        return 0
    before = json.loads(Path(sys.argv[sys.argv.index("--compare") + 1]).read_text(encoding="utf-8"))
    differ = {t: (before.get(t), now.get(t)) for t in sorted(set(before) | set(now)) if before.get(t) != now.get(t)}
    print(
        f"{len(before)} tables before, {len(now)} after; {sum(before.values())} rows before, {sum(now.values())} after"
    )
    for table, (old, new) in differ.items():
        print(f"  {table}: {old} -> {new}")
    unexpected = {t: d for t, d in differ.items() if t != "django_migrations"}
    print("every table keeps its rows" if not unexpected else f"DIFFERENT: {unexpected}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    raise SystemExit(main())
