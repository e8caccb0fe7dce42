"""Images whose metadata a real tool wrote: Debian's exiftool (libimage-exiftool-perl)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SUFFIXES = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def needs_exiftool() -> str:
    tool = shutil.which("exiftool")
    if tool is None:
        if os.environ.get("DAM_REQUIRE_SERVICES"):
            pytest.fail("exiftool is missing (.ci/run installs libimage-exiftool-perl)")
        pytest.skip("needs Debian's exiftool: apt-get install libimage-exiftool-perl")
    return tool


def write(data: bytes, fmt: str, *tags: str) -> bytes:
    """``data`` (an image in ``fmt``) with ``tags`` written by exiftool (``-XMP-dc:Title=…``)."""
    tool = needs_exiftool()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"image.{SUFFIXES[fmt]}"
        path.write_bytes(data)
        subprocess.run([tool, "-q", "-q", "-overwrite_original", *tags, str(path)], check=True, timeout=60)
        return path.read_bytes()


# A full set, as a picture desk's tool writes it: XMP, IPTC (JPEG) and EXIF.
FULL = (
    "-XMP-dc:Title=Harbour at dawn",
    "-XMP-dc:Title-de=Hafen im Morgengrauen",
    "-XMP-dc:Description=Fishing boats leave the harbour.",
    "-XMP-dc:Creator=Ana Lima",
    "-XMP-photoshop:Credit=Lima / Agency",
    "-XMP-dc:Rights=© 2024 Ana Lima",
    "-XMP-dc:Subject=Boats",
    "-XMP-dc:Subject=Sea ",
    "-EXIF:DateTimeOriginal=2024:05:01 06:30:00",
    "-EXIF:OffsetTimeOriginal=+02:00",
    "-EXIF:Make=Fujifilm",
    "-EXIF:Model=X-T5",
    "-EXIF:LensModel=XF23mmF1.4 R LM WR",
    "-GPSLatitude=38.7",
    "-GPSLatitudeRef=N",
    "-GPSLongitude=9.14",
    "-GPSLongitudeRef=W",
)
