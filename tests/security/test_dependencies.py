"""The install is exactly the lock: every pinned requirement carries its hashes, and every range
pyproject.toml asks for (runtime and dev) is satisfied by the lock's pin, so `make setup` (pip
--require-hashes) installs nothing unchecked and nothing older than the advisories the ranges
exclude."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def locked() -> dict[str, tuple[Version, list[str]]]:
    """name → (pinned version, its hashes), from requirements.lock's `name==version \\` blocks."""
    pins: dict[str, tuple[Version, list[str]]] = {}
    text = (ROOT / "requirements.lock").read_text()
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        first = block.splitlines()[0]
        if first.startswith("#") or "==" not in first:
            continue
        name, version = first.split(";")[0].rstrip(" \\").split("==")
        pins[canonicalize_name(name)] = (
            Version(version.strip()),
            re.findall(r"--hash=sha256:([0-9a-f]{64})", block),
        )
    return pins


def test_every_locked_requirement_is_pinned_with_its_hashes() -> None:
    pins = locked()
    assert len(pins) > 50
    assert [name for name, (_, hashes) in pins.items() if not hashes] == []


def test_the_lock_satisfies_every_range_pyproject_asks_for() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins = locked()
    unmet = []
    for line in wanted:
        requirement = Requirement(line)
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None or not requirement.specifier.contains(pinned[0], prereleases=True):
            unmet.append(f"{requirement} (locked: {pinned[0] if pinned else 'missing'})")
    assert unmet == []
