"""Request body limits, applied before and while the body is read, never after it is on disk.

Django reads a multipart body whole (spooling files to a temporary file) the first time anything
touches ``request.POST``/``request.data``, and checks no size but the non-file fields'. So:

* ``install`` puts :class:`CappedUploadHandler` first in the request's upload handlers before
  anything can read the body (the session CSRF check may: see authentication.py). It counts the
  file bytes as the parser reads them and stops the read, with ``file_too_large``, as soon as they
  pass the cap; the rest of the body is never read.
* ``refuse_oversized`` answers from the ``Content-Length`` header alone, after the credentials
  (and a direct upload's policy) are checked and before any of the body is read.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest

from assets.exceptions import RejectedUpload
from dam.errors import DamError

# Multipart framing around the fields and the file: boundaries and part headers (a file name is
# at most a few KiB). Generous: it only decides when a body is refused unread.
FORM_FRAMING_BYTES = 64 * 1024


class RequestTooLarge(DamError):
    """A non-file body (JSON, a form) over Django's DATA_UPLOAD_MAX_MEMORY_SIZE."""

    code = "request_too_large"
    status = 413


def file_too_large(limit: int) -> RejectedUpload:
    return RejectedUpload(f"The file is larger than the limit of {limit} bytes.", code="file_too_large")


class CappedUploadHandler(FileUploadHandler):
    """Counts the bytes of every file in the request and stops the read past ``limit``.

    It raises instead of Django's ``StopUpload``: that one ends the parse quietly and the view
    would see a request without its file (a misleading ``invalid``)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise file_too_large(self.limit)
        return raw_data  # the next handler (memory or temporary file) keeps it

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler makes the file


def install(request: HttpRequest, *, file_bytes: int) -> None:
    """Cap the files of ``request`` at ``file_bytes`` in all, tightening an installed cap."""
    handlers = request.upload_handlers
    for handler in handlers:
        if isinstance(handler, CappedUploadHandler):
            handler.limit = min(handler.limit, file_bytes)
            return
    assert isinstance(handlers, list), "The body cap must be installed before anything reads the body."
    handlers.insert(0, CappedUploadHandler(request, file_bytes))


def refuse_oversized(request: HttpRequest, *, file_bytes: int) -> None:
    """Refuse, unread, a body whose declared length no acceptable request can have."""
    length = _content_length(request)
    fields = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if request.content_type == "multipart/form-data":
        if fields is not None and length > file_bytes + fields + FORM_FRAMING_BYTES:
            raise file_too_large(file_bytes)
    elif fields is not None and length > fields:
        raise RequestTooLarge(f"The request body is larger than the limit of {fields} bytes.")


def _content_length(request: HttpRequest) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0  # Django reads no body it cannot measure
