"""One rule for a client's file name, on every path (admin, API multipart, direct upload).

The name is cosmetic: it is shown to editors and returned by the API, never used for a storage
key or to decide what the bytes are. So no name is ever a reason to refuse a file: ``.``, ``..``,
empty, 4 KB of UTF-8, control and bidi characters all become a short, printable display name.

Django's multipart parser drops a file part named ``.`` or ``..`` (the view then sees no file at
all) and names a temporary file after the client's extension (a 1 KB extension fails with
"File name too long"). ``FileNameUploadHandler``, first in ``FILE_UPLOAD_HANDLERS``, parses the
body with a parser that applies this rule instead, before any file is created.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import IO

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import QueryDict, multipartparser
from django.http.multipartparser import MultiPartParser
from django.utils.datastructures import MultiValueDict

# Bytes of UTF-8, not characters: what filesystems (NAME_MAX 255) and S3 metadata count, with
# room for the Content-Disposition quoting a download adds.
MAX_NAME_BYTES = 200
MAX_EXTENSION_CHARS = 16  # ".jpeg", ".heic": anything longer is part of the stem
FALLBACK_NAME = "upload"
# Django caps each multipart part's headers at 1 KB (MAX_TOTAL_HEADER_SIZE, a guard against
# header floods), so a file name over ~1 KB of UTF-8 (or ~340 characters percent-encoded) fails
# the whole request with a parse error. 16 KB holds any name a filesystem can produce, encoded,
# and still bounds what one part header may cost.
MAX_PART_HEADER_BYTES = 16 * 1024
# (A module constant, read at parse time; the stubs do not list it.)
multipartparser.MAX_TOTAL_HEADER_SIZE = max(multipartparser.MAX_TOTAL_HEADER_SIZE, MAX_PART_HEADER_BYTES)  # type: ignore[attr-defined]


def safe_display_name(filename: str, *, fallback: str = FALLBACK_NAME) -> str:
    """A display name with no path, no control or format characters, at most MAX_NAME_BYTES."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"\s+", " ", unicodedata.normalize("NFC", name))
    # Category C: control, format (bidi overrides, zero-width), surrogates, private use, unassigned.
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    if not name:
        return fallback
    stem, ext = os.path.splitext(name)
    if len(ext) > MAX_EXTENSION_CHARS or not stem:
        stem, ext = name, ""
    room = MAX_NAME_BYTES - len(ext.encode())
    stem = stem.encode()[:room].decode("utf-8", "ignore").rstrip(" .")
    return (stem + ext) if stem else fallback


class _SanitisingMultiPartParser(MultiPartParser):
    def sanitize_file_name(self, file_name: str) -> str:
        return safe_display_name(file_name)


class FileNameUploadHandler(FileUploadHandler):
    """Parses multipart bodies so every file part reaches the view under a safe display name;
    the handlers after it in ``FILE_UPLOAD_HANDLERS`` receive the data as usual."""

    def handle_raw_input(
        self,
        input_data: IO[bytes],
        META: dict[str, str],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict[str, UploadedFile]] | None:
        if self.request is None:
            return None
        others = [handler for handler in self.request.upload_handlers if handler is not self]
        return _SanitisingMultiPartParser(META, input_data, others, encoding).parse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data  # never reached: handle_raw_input parsed the whole body

    def file_complete(self, file_size: int) -> None:
        return None
