#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

In development it first reads ``var/dev.env`` (``make setup`` writes it: debug on,
a random key for this checkout), so the README's ``.venv/bin/python manage.py …``
commands work as written. A deployment sets ``DJANGO_SECRET_KEY`` in its
environment, and then the file is never read.
"""

import os
import sys
from pathlib import Path

DEV_ENV = Path(__file__).resolve().parent / "var" / "dev.env"


def read_dev_env(path: Path = DEV_ENV, environ=os.environ) -> None:
    """Add ``NAME=value`` lines from ``path`` to ``environ``, never replacing what is already there.

    Nothing is read when ``environ`` has a ``DJANGO_SECRET_KEY``: that is a configured site, and a
    development file left in its checkout must not turn debug (or the console email backend) on.
    """
    if environ.get("DJANGO_SECRET_KEY") or not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        name, equals, value = line.partition("=")
        name = name.strip()
        if equals and name and not name.startswith("#"):
            environ.setdefault(name, value.strip())


def main() -> None:
    read_dev_env()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
