"""PURE: the spec language. ``Spec.parse("fill-800x600|format-webp")`` → a frozen value object.

A spec is words joined by ``|`` (Wagtail's syntax). Everything is validated here, at parse time:
unknown words, malformed arguments, two operations competing for one slot (``fit`` and ``fill``),
the length and operation caps and the largest output edge. ``str(spec)`` prints the one canonical
form; two specs that mean the same thing print the same string and so share their renditions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import TypeVar

from renditions import operations as ops
from renditions.exceptions import InvalidSpec

DEFAULT_MAX_LENGTH = 256  # the DAM_MAX_SPEC_LENGTH default: chained-pipeline abuse
DEFAULT_MAX_OPERATIONS = 8  # the DAM_MAX_SPEC_OPERATIONS default
DEFAULT_MAX_EDGE = 4096  # the DAM_MAX_RENDITION_EDGE default: output caps stop resource abuse
KEY_LENGTH = 20  # hex digits of SHA-256 in a rendition key: 80 bits, no collision in practice
KEY_VERSION = "v1"  # bump when the pipeline's output for the same inputs changes

Op = TypeVar("Op", bound=ops.Operation)


@dataclass(frozen=True)
class SpecLimits:
    max_length: int = DEFAULT_MAX_LENGTH
    max_operations: int = DEFAULT_MAX_OPERATIONS
    max_edge: int = DEFAULT_MAX_EDGE


@dataclass(frozen=True)
class Spec:
    """Operations in canonical order, at most one per slot."""

    operations: tuple[ops.Operation, ...] = ()

    @classmethod
    def parse(cls, text: str, limits: SpecLimits = SpecLimits()) -> Spec:
        by_slot = _scan(text.strip(), limits, collect=None)
        # `strip` is the default: dropping it keeps one canonical form for one meaning.
        chosen = (by_slot[slot] for slot in ops.SLOT_ORDER if slot in by_slot)
        return cls(tuple(op for op in chosen if not isinstance(op, ops.Strip)))

    @staticmethod
    def problems(text: str, limits: SpecLimits = SpecLimits()) -> list[str]:
        """Every reason ``text`` is not a valid spec (``parse`` stops at the first), in the order
        they occur; empty when it parses. For editors fixing a spec as they type."""
        found: list[str] = []
        _scan(text.strip(), limits, collect=found)
        return found

    @classmethod
    def parse_canonical(cls, text: str, limits: SpecLimits = SpecLimits()) -> Spec:
        """Parse, and insist the text already is canonical (specs inside URLs must be)."""
        spec = cls.parse(text, limits)
        if str(spec) != text:
            raise InvalidSpec(f"The spec is not in canonical form; it should read “{spec}”.")
        return spec

    def __str__(self) -> str:
        return "|".join(str(op) for op in self.operations)

    def get(self, kind: type[Op]) -> Op | None:
        for op in self.operations:
            if isinstance(op, kind):
                return op
        return None

    def has(self, kind: type[ops.Operation]) -> bool:
        return self.get(kind) is not None

    @property
    def format_name(self) -> str | None:
        """``jpeg``, ``png``, ``webp``, ``avif``, ``gif``, ``auto`` or None (follow the source)."""
        fmt = self.get(ops.Format)
        return fmt.name if fmt else None

    @property
    def is_auto_format(self) -> bool:
        return self.format_name == "auto"

    def with_format(self, name: str) -> Spec:
        kept = tuple(op for op in self.operations if op.slot != "format")
        merged = {op.slot: op for op in (*kept, ops.Format(name))}
        return replace(self, operations=tuple(merged[s] for s in ops.SLOT_ORDER if s in merged))

    @property
    def background(self) -> tuple[int, int, int]:
        bg = self.get(ops.Background)
        return bg.colour if bg else (255, 255, 255)


def _scan(text: str, limits: SpecLimits, *, collect: list[str] | None) -> dict[str, ops.Operation]:
    """The operations of ``text`` by slot. Each problem raises ``InvalidSpec``, or with ``collect``
    is appended to it and the scan goes on to find the others."""

    def problem(message: str) -> None:
        if collect is None:
            raise InvalidSpec(message)
        collect.append(message)

    if len(text) > limits.max_length:
        problem(f"The spec is longer than {limits.max_length} characters.")
    words = text.split("|") if text else []
    if "" in words:
        problem("The spec has an empty operation (two “|” in a row, or one at an end).")
    if len(words) > limits.max_operations:
        problem(f"The spec has more than {limits.max_operations} operations.")
    by_slot: dict[str, ops.Operation] = {}
    for word in filter(None, words):
        try:
            operation = _parse_word(word, limits.max_edge)
        except InvalidSpec as exc:
            problem(exc.message)
            continue
        if operation.slot in by_slot:
            problem(f"“{word}” conflicts with “{by_slot[operation.slot]}”: one {operation.slot} per spec.")
            continue
        by_slot[operation.slot] = operation
    return by_slot


def _parse_word(word: str, max_edge: int) -> ops.Operation:
    name, _, argument = word.partition("-")
    kind = ops.REGISTRY.get(name)
    if kind is None:
        raise InvalidSpec(f"“{word}” is not an operation (known: {', '.join(sorted(ops.REGISTRY))}).")
    if kind.takes_argument == (argument == ""):
        expected = "an argument" if kind.takes_argument else "no argument"
        raise InvalidSpec(f"“{word}”: {name} takes {expected}.")
    return kind.parse(argument, max_edge)


def uses_focal_point(spec: str) -> bool:
    """Whether the focal point moves any pixel of this (canonical) spec's output: only ``fill``
    crops around it. Read from the text, not a parsed Spec: a page builds hundreds of keys."""
    return any(ops.REGISTRY.get(word.partition("-")[0]) is ops.Fill for word in spec.split("|"))


def rendition_key(spec: str, *, checksum: str, focal_point: tuple[float, float] | None) -> str:
    """The content key: changes whenever the original, the spec, or (for specs that crop around
    it, see ``uses_focal_point``) the focal point changes. A focal point edit leaves every other
    URL as it was, so the app's cached JSON and the CDN's copies of those stay valid.

    Documented for other languages in docs/renditions.md:
    ``sha256("v1|<checksum>|<fx>,<fy>|<canonical spec>")[:20]`` with the focal point printed with
    four decimals (``0.5000,0.2500``), or ``-`` when unset or when the spec has no ``fill``.
    """
    if focal_point is None or not uses_focal_point(spec):
        focal = "-"
    else:
        focal = f"{focal_point[0]:.4f},{focal_point[1]:.4f}"
    message = f"{KEY_VERSION}|{checksum}|{focal}|{spec}"
    return hashlib.sha256(message.encode()).hexdigest()[:KEY_LENGTH]
