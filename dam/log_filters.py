"""Logging filters."""

from __future__ import annotations

import logging
import re

# `?query` up to the next space or quote, and `//user:password@` in URLs.
_QUERY = re.compile(r"\?[^\s\"']*")
_USERINFO = re.compile(r"//[^/@\s]*@")


def redact(text: str) -> str:
    return _USERINFO.sub("//", _QUERY.sub("?[redacted]", text))


class RedactUrls(logging.Filter):
    """Drops query strings and URL credentials from urllib3's log records.

    urllib3 logs the request line (path and query) at DEBUG and some URLs at WARNING; webhook
    URLs may carry a token in their query and S3 presigned URLs carry signatures.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True
