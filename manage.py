#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dam.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A setting the deployment must give (DAM_SECRET_KEY, say): one line that names it, not a
        # traceback through Django's start-up.
        sys.exit(f"dam: {exc}")


if __name__ == "__main__":
    main()
