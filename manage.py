#!/usr/bin/env python
"""Django's command-line utility for administrative tasks.

Commands run with development defaults (DEBUG on) unless the environment says otherwise:
production is chosen explicitly with DEBUG=0 (``make serve`` does), and then a missing setting
such as SECRET_KEY is one clear line, not a traceback.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conflictmap.settings.base")
    os.environ.setdefault("DEBUG", "1")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        sys.exit(f"manage.py: {exc}")


if __name__ == "__main__":
    main()
