"""``manage.py create_api_key NAME [--read-only]``: the key alone on the last line of output."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from assets.models import ApiKey
from dam.commands import DamCommand


class Command(DamCommand):
    help = "Create an API key for a machine client. The key is printed once; only its hash is stored."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name", help="Who uses it, e.g. 'rails-production'.")
        parser.add_argument("--read-only", action="store_true", help="The key may read but never write.")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("NAME must not be empty.")
        if len(name) > (limit := ApiKey._meta.get_field("name").max_length or 0):
            raise CommandError(f"NAME must be at most {limit} characters (it has {len(name)}).")
        key, raw = ApiKey.issue(name, read_only=options["read_only"])
        access = "read-only" if key.read_only else "read-write"
        if self.verbosity >= 1:
            self.stderr.write(
                f"Created {access} API key “{name}” ({key.prefix}…). Send it as: Authorization: Api-Key <key>"
            )
        self.stdout.write(raw)  # the result itself, at every verbosity
