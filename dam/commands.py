"""What every dam management command shares: verbosity, one-line argument errors, id parsing.

* ``-v 0`` prints errors only: log records below ERROR (one per render or ingest) are dropped
  while the command runs, and ``say`` stays silent.
* A bad argument answers one line and a non-zero exit, never a traceback or a usage screen:
  argparse's own errors (exit 2) and the values ``handle`` checks (``CommandError``, exit 1).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import uuid
from collections.abc import Iterable
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

# Django's convention: 0 minimal, 1 normal (the default), 2 verbose, 3 very verbose.
QUIET = 0


class DamCommand(BaseCommand):
    verbosity = 1

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = lambda message: _argument_error(parser, message)  # type: ignore[method-assign]
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        self.verbosity = options.get("verbosity", 1)
        if self.verbosity > QUIET:
            return super().execute(*args, **options)
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)  # everything up to WARNING; ERROR and CRITICAL still go out
        try:
            return super().execute(*args, **options)
        finally:
            logging.disable(previous)

    def say(self, message: str, *, verbosity: int = 1) -> None:
        """Write ``message`` to stdout unless the user asked for less than ``verbosity``."""
        if self.verbosity >= verbosity:
            self.stdout.write(message)


def _argument_error(parser: CommandParser, message: str) -> NoReturn:
    if getattr(parser, "called_from_command_line", False):
        sys.stderr.write(f"CommandError: {message} (see {parser.prog} --help)\n")
        sys.exit(2)
    raise CommandError(f"Error: {message}")


def parse_uuids(values: Iterable[str], *, option: str) -> list[uuid.UUID]:
    """UUIDs from the command line, or a one-line CommandError naming the first bad one."""
    parsed = []
    for value in values:
        try:
            parsed.append(uuid.UUID(value))
        except ValueError as exc:
            raise CommandError(
                f"{option} {value!r} is not an id (a UUID such as {uuid.UUID(int=0)})."
            ) from exc
    return parsed


MAX_SECONDS = 10 * 365 * 24 * 3600  # ten years: anything longer is a typo, or an overflow to come


def seconds(value: str) -> float:
    """An argparse ``type`` for a duration in seconds: a finite number from 0 to ten years (``nan``,
    ``inf`` and ``1e30`` are floats, but not durations a date can be built from)."""
    try:
        parsed = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(parsed) or not 0 <= parsed <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"{value!r} must be 0 or more seconds, at most {MAX_SECONDS}")
    return parsed
