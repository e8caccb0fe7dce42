"""PURE: the descriptive metadata a file carries (XMP, IPTC-IIM, EXIF), read without decoding a pixel.

What it reads, in order of preference for each field (the first that has a value wins):

* title: XMP ``dc:title`` → IPTC 2:05 ObjectName → EXIF ImageDescription
* description: XMP ``dc:description`` → IPTC 2:120 Caption/Abstract
* creator: XMP ``dc:creator`` → IPTC 2:80 By-line → EXIF Artist
* credit: XMP ``photoshop:Credit`` → IPTC 2:110 Credit → the creator
* copyright: XMP ``dc:rights`` → IPTC 2:116 CopyrightNotice → EXIF Copyright
* keywords: XMP ``dc:subject`` → IPTC 2:25 Keywords
* taken_at: EXIF DateTimeOriginal (+ OffsetTimeOriginal) → XMP ``exif:DateTimeOriginal`` →
  ``xmp:CreateDate`` → ``photoshop:DateCreated`` → IPTC 2:55 + 2:60
* camera_make / camera_model / lens, orientation: EXIF, then XMP ``tiff:``/``aux:``/``exifEX:``
* gps (only when asked for): EXIF GPS latitude/longitude as decimal degrees, else XMP's (exif:GPSLatitude)

The containers are walked here, not by a decoder: a JPEG's markers up to its first scan, a PNG's
chunks (skipping the image data), a WebP's RIFF chunks. Other formats (AVIF, HEIF, GIF) are opened
by Pillow for their header only. Every read is bounded: an XMP packet over ``MAX_XMP_BYTES`` is
ignored, XML entities and DTDs are refused (defusedxml), and whatever cannot be read is skipped
with a note; a file's metadata never makes an upload fail.

No models, no storages, no settings.
"""

from __future__ import annotations

import contextlib
import re
import struct
import warnings
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from PIL import ExifTags, Image

MAX_XMP_BYTES = 256 * 1024  # an XMP packet in a JPEG is at most 64 KiB; Lightroom's run to ~30 KiB
MAX_SEGMENT_BYTES = 1024 * 1024  # one EXIF block or IPTC resource read into memory, at most
MAX_CHUNKS = 100_000  # PNG/WebP chunks or JPEG segments walked before giving up
MAX_TEXT = 2000  # characters kept of any one text value
MAX_KEYWORDS = 100
MAX_KEYWORD_LENGTH = 64  # as long as a tag may be

XMP_SIGNATURE = b"http://ns.adobe.com/xap/1.0/\x00"
EXIF_SIGNATURE = b"Exif\x00\x00"
PHOTOSHOP_SIGNATURE = b"Photoshop 3.0\x00"
IPTC_RESOURCE = 0x0404
IPTC_UTF8 = (b"\x1b%G", b"\x1b%/G", b"\x1b%/I")  # 1:90 CodedCharacterSet escape sequences for UTF-8

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "aux": "http://ns.adobe.com/exif/1.0/aux/",
    "exifEX": "http://cipa.jp/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@dataclass
class Raw:
    """The metadata blocks as found in the container, before parsing."""

    xmp: bytes | None = None
    exif: bytes | None = None
    iptc: list[bytes] = field(default_factory=list)  # IPTC-IIM blocks (several resources are merged)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Embedded:
    """The normalised metadata. ``as_json()`` is what is stored: only the fields found."""

    title: str = ""
    description: str = ""
    creator: str = ""
    credit: str = ""
    copyright: str = ""
    keywords: tuple[str, ...] = ()
    taken_at: datetime | None = None  # aware when the file said its offset, else naive (local time)
    camera_make: str = ""
    camera_model: str = ""
    lens: str = ""
    orientation: int | None = None
    gps: tuple[float, float] | None = None
    sources: tuple[str, ...] = ()  # which blocks were read: "xmp", "iptc", "exif"
    notes: tuple[str, ...] = ()  # what was skipped, and why

    def as_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in ("title", "description", "creator", "credit", "copyright", "camera_make", "camera_model",
                     "lens"):  # fmt: skip
            if value := getattr(self, name):
                found[name] = value
        if self.keywords:
            found["keywords"] = list(self.keywords)
        if self.taken_at is not None:
            found["taken_at"] = self.taken_at.isoformat()
        if self.orientation is not None:
            found["orientation"] = self.orientation
        if self.gps is not None:
            found["gps"] = {"latitude": self.gps[0], "longitude": self.gps[1]}
        found["sources"] = list(self.sources)
        if self.notes:
            found["notes"] = list(self.notes)
        return found


def read_embedded(fileobj: IO[bytes], fmt: str, *, gps: bool = False) -> Embedded:
    """Read and normalise the file's metadata. Never raises for what the file holds."""
    fileobj.seek(0)
    try:
        raw = read_raw(fileobj, fmt)
    except MemoryError:
        raise
    except Exception as exc:  # whatever a damaged container makes a parser raise: no metadata, no failure
        raw = Raw(notes=[f"container unreadable: {type(exc).__name__}"])
    finally:
        fileobj.seek(0)
    return normalise(raw, gps=gps)


# --- the containers -------------------------------------------------------------------------------


def read_raw(fileobj: IO[bytes], fmt: str) -> Raw:
    readers: dict[str, Callable[[IO[bytes]], Raw]] = {"JPEG": _jpeg, "PNG": _png, "WEBP": _webp}
    return readers.get(fmt, _by_pillow)(fileobj)


def _read(fileobj: IO[bytes], size: int) -> bytes:
    data = fileobj.read(size)
    if len(data) < size:
        raise EOFError("the file ends inside a block")
    return data


def _take(raw: Raw, kind: str, data: bytes) -> None:
    """Keep the first XMP or EXIF block, bounded."""
    if kind == "xmp":
        if raw.xmp is not None:
            return
        if len(data) > MAX_XMP_BYTES:
            _too_large(raw, len(data))
            return
        raw.xmp = data
    elif raw.exif is None:
        raw.exif = data


def _too_large(raw: Raw, size: int) -> None:
    if raw.xmp is None:
        raw.xmp = b""  # found, and ignored: a later packet does not stand in for it
        raw.notes.append(f"xmp ignored: {size} bytes, over {MAX_XMP_BYTES}")


def _jpeg(fileobj: IO[bytes]) -> Raw:
    raw = Raw()
    photoshop = bytearray()
    if _read(fileobj, 2) != b"\xff\xd8":
        raise ValueError("not a JPEG")
    for _ in range(MAX_CHUNKS):
        byte = _read(fileobj, 1)
        if byte != b"\xff":
            break  # not at a marker: stop rather than guess
        marker = _read(fileobj, 1)[0]
        while marker == 0xFF:  # fill bytes
            marker = _read(fileobj, 1)[0]
        if marker in (0xDA, 0xD9):  # start of scan, end of image: no metadata follows that we read
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue  # no length
        (length,) = struct.unpack(">H", _read(fileobj, 2))
        size = length - 2
        if size < 0:
            break
        if marker in (0xE1, 0xED):
            data = _read(fileobj, size)
            if marker == 0xE1 and data.startswith(EXIF_SIGNATURE):
                _take(raw, "exif", data[len(EXIF_SIGNATURE) :])
            elif marker == 0xE1 and data.startswith(XMP_SIGNATURE):
                _take(raw, "xmp", data[len(XMP_SIGNATURE) :])
            elif (marker == 0xED and data.startswith(PHOTOSHOP_SIGNATURE)
                  and len(photoshop) + size <= MAX_SEGMENT_BYTES):  # fmt: skip
                # A long resource continues in the next APP13 segment: the payloads concatenate.
                photoshop += data[len(PHOTOSHOP_SIGNATURE) :]
        else:
            fileobj.seek(size, 1)
    raw.iptc = _photoshop_iptc(bytes(photoshop))
    return raw


def _photoshop_iptc(data: bytes) -> list[bytes]:
    """The IPTC-IIM resources (0x0404) of Photoshop's image resource blocks (``8BIM``)."""
    found: list[bytes] = []
    at = 0
    while at + 12 <= len(data) and data[at : at + 4] == b"8BIM":
        (resource,) = struct.unpack(">H", data[at + 4 : at + 6])
        name_length = data[at + 6]
        at += 6 + ((1 + name_length + 1) & ~1)  # a Pascal string padded to an even length
        if at + 4 > len(data):
            break
        (size,) = struct.unpack(">I", data[at : at + 4])
        at += 4
        if resource == IPTC_RESOURCE:
            found.append(data[at : at + size])
        at += size + (size & 1)
    return found


def _png(fileobj: IO[bytes]) -> Raw:
    raw = Raw()
    if _read(fileobj, 8) != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    for _ in range(MAX_CHUNKS):
        header = fileobj.read(8)
        if len(header) < 8:
            break
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IEND":
            break
        if kind == b"iTXt" and length <= MAX_XMP_BYTES + 1024:
            _png_itxt(raw, _read(fileobj, length))
        elif kind == b"iTXt":
            keyword = _read(fileobj, min(length, 80)).split(b"\x00", 1)[0]
            fileobj.seek(length - min(length, 80), 1)
            if keyword == b"XML:com.adobe.xmp":
                _too_large(raw, length)
        elif kind == b"eXIf" and length <= MAX_SEGMENT_BYTES:
            _take(raw, "exif", _read(fileobj, length))
        elif kind in (b"zTXt", b"tEXt") and length <= MAX_SEGMENT_BYTES:
            _png_raw_profile(raw, kind, _read(fileobj, length))
        else:
            fileobj.seek(length, 1)
        fileobj.seek(4, 1)  # the CRC (the validator checked it)
    return raw


def _png_itxt(raw: Raw, data: bytes) -> None:
    keyword, _, rest = data.partition(b"\x00")
    if keyword != b"XML:com.adobe.xmp" or len(rest) < 2:
        return
    compressed, text = rest[0], rest[2:]
    text = text.split(b"\x00", 2)[-1]  # past the language tag and the translated keyword
    if compressed:
        text = _inflate(raw, text, MAX_XMP_BYTES + 1)
    _take(raw, "xmp", text)


def _png_raw_profile(raw: Raw, kind: bytes, data: bytes) -> None:
    """ImageMagick's and exiftool's ``Raw profile type iptc|exif``: hex text, maybe zlib'd."""
    keyword, _, rest = data.partition(b"\x00")
    if not keyword.startswith(b"Raw profile type "):
        return
    if kind == b"zTXt":
        rest = _inflate(raw, rest[1:], MAX_SEGMENT_BYTES * 2 + 64)
    lines = rest.strip().split(b"\n", 2)  # "", name, "   length", hex…
    if len(lines) < 3:
        return
    try:
        body = bytes.fromhex(lines[2].split(b"\n", 1)[-1].decode("ascii"))
    except ValueError:
        raw.notes.append(f"{keyword.decode('latin-1')} unreadable")
        return
    profile = keyword[len(b"Raw profile type ") :]
    if profile == b"iptc":
        iptc = (
            _photoshop_iptc(body[len(PHOTOSHOP_SIGNATURE) :]) if body.startswith(PHOTOSHOP_SIGNATURE) else []
        )
        raw.iptc.extend(iptc or [body])
    elif profile in (b"exif", b"APP1"):
        _take(raw, "exif", body[len(EXIF_SIGNATURE) :] if body.startswith(EXIF_SIGNATURE) else body)


def _inflate(raw: Raw, data: bytes, limit: int) -> bytes:
    try:
        out = zlib.decompressobj().decompress(data, limit)
    except zlib.error:
        raw.notes.append("a compressed text chunk is damaged")
        return b""
    return out


def _webp(fileobj: IO[bytes]) -> Raw:
    raw = Raw()
    head = _read(fileobj, 12)
    if head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        raise ValueError("not a WebP")
    for _ in range(MAX_CHUNKS):
        header = fileobj.read(8)
        if len(header) < 8:
            break
        kind, length = struct.unpack("<4sI", header)
        padded = length + (length & 1)
        if kind == b"XMP " and length <= MAX_XMP_BYTES:
            _take(raw, "xmp", _read(fileobj, length))
            fileobj.seek(padded - length, 1)
        elif kind == b"XMP ":
            _too_large(raw, length)
            fileobj.seek(padded, 1)
        elif kind == b"EXIF" and length <= MAX_SEGMENT_BYTES:
            data = _read(fileobj, length)
            _take(raw, "exif", data[len(EXIF_SIGNATURE) :] if data.startswith(EXIF_SIGNATURE) else data)
            fileobj.seek(padded - length, 1)
        else:
            fileobj.seek(padded, 1)
    return raw


def _by_pillow(fileobj: IO[bytes]) -> Raw:
    """AVIF, HEIF, GIF: what Pillow's header parse (never a decode) found."""
    raw = Raw()
    with Image.open(fileobj) as image:
        xmp, exif = image.info.get("xmp"), image.info.get("exif")
    if isinstance(xmp, bytes | str):
        _take(raw, "xmp", xmp.encode() if isinstance(xmp, str) else xmp)
    if isinstance(exif, bytes):
        _take(raw, "exif", exif[len(EXIF_SIGNATURE) :] if exif.startswith(EXIF_SIGNATURE) else exif)
    return raw


# --- the blocks -------------------------------------------------------------------------------------


def normalise(raw: Raw, *, gps: bool = False) -> Embedded:
    notes = list(raw.notes)
    xmp = (_parse_xmp(raw.xmp, notes) if raw.xmp else None) or {}
    exif = _parse_exif(raw.exif, notes, gps=gps) if raw.exif else {}
    iptc = _parse_iptc(raw.iptc, notes) if raw.iptc else {}
    blocks = [xmp]
    # A block is a source when it said something (a camera's EXIF holding only pixel sizes is not).
    sources = [name for name, found in (("xmp", xmp), ("exif", exif), ("iptc", iptc)) if any(found.values())]
    order = {  # per field: the blocks to ask, best first
        "title": (blocks, [iptc], [exif]),
        "description": (blocks, [iptc]),
        "creator": (blocks, [iptc], [exif]),
        "credit": (blocks, [iptc]),
        "copyright": (blocks, [iptc], [exif]),
        "keywords": (blocks, [iptc]),
        "taken_at": ([exif], blocks, [iptc]),
        "camera_make": ([exif], blocks),
        "camera_model": ([exif], blocks),
        "lens": ([exif], blocks),
        "orientation": ([exif], blocks),
        "gps": ([exif], blocks) if gps else (),  # EXIF's position, else XMP's; never unless asked
    }
    merged: dict[str, Any] = {}
    for name, groups in order.items():
        for group in groups:
            value = next((block[name] for block in group if block.get(name)), None)
            if value:
                merged[name] = value
                break
    if not merged.get("credit") and merged.get("creator"):
        merged["credit"] = merged["creator"]
    return Embedded(
        **{k: v for k, v in merged.items() if k != "keywords"},
        keywords=tuple(merged.get("keywords", ())),
        sources=tuple(sorted(sources)),
        notes=tuple(notes),
    )


def clean_text(value: object) -> str:
    """Printable text, whitespace runs folded, at most MAX_TEXT characters."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return ""
    text = "".join(ch if ch.isprintable() else " " for ch in value.replace("\x00", ""))
    return " ".join(text.split())[:MAX_TEXT]


def clean_keywords(values: Iterable[str]) -> tuple[str, ...]:
    """Keywords as tags are: trimmed, lower case, at most 64 characters, no commas, each once."""
    seen: dict[str, None] = {}
    for value in values:
        for part in clean_text(value).split(","):
            keyword = part.strip().lower()[:MAX_KEYWORD_LENGTH].strip()
            if keyword:
                seen.setdefault(keyword)
        if len(seen) >= MAX_KEYWORDS:
            break
    return tuple(list(seen)[:MAX_KEYWORDS])


# XMP ----------------------------------------------------------------------------------------------


def _parse_xmp(data: bytes, notes: list[str]) -> dict[str, Any] | None:
    data = data.strip(b"\x00 \t\r\n")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        notes.append(f"xmp refused: {type(exc).__name__}")
        return None
    except (ParseError, ValueError, UnicodeError):
        notes.append("xmp unreadable: not well-formed XML")
        return None
    descriptions = list(root.iter(f"{{{NS['rdf']}}}Description"))
    found: dict[str, Any] = {}

    def first(*names: str) -> str:
        for name in names:
            for description in descriptions:
                if text := _xmp_value(description, name):
                    return text
        return ""

    found["title"] = first("dc:title")
    found["description"] = first("dc:description")
    creators = [c for d in descriptions for c in _xmp_items(d, "dc:creator")]
    found["creator"] = clean_text(", ".join(creators))
    found["credit"] = first("photoshop:Credit")
    found["copyright"] = first("dc:rights")
    found["keywords"] = clean_keywords(k for d in descriptions for k in _xmp_items(d, "dc:subject"))
    found["taken_at"] = next(
        (t for t in (parse_date(first(n)) for n in ("exif:DateTimeOriginal", "xmp:CreateDate",
                                                     "photoshop:DateCreated")) if t), None,
    )  # fmt: skip
    found["camera_make"] = first("tiff:Make")
    found["camera_model"] = first("tiff:Model")
    found["lens"] = first("exifEX:LensModel", "aux:Lens")
    found["orientation"] = _orientation(first("tiff:Orientation"))
    found["gps"] = xmp_position(first("exif:GPSLatitude"), first("exif:GPSLongitude"))
    return found


XMP_COORDINATE = re.compile(r"(\d{1,3}),(\d{1,2}(?:\.\d+)?)(?:,(\d{1,2}(?:\.\d+)?))?([NSEW])", re.IGNORECASE)


def xmp_position(latitude: str, longitude: str) -> tuple[float, float] | None:
    """XMP's GPSCoordinate pair ("DDD,MM.mmk" or "DDD,MM,SSk", k one of N S E W) as decimal degrees,
    as the EXIF position is given; None unless both are valid."""
    found = []
    for text, axis, limit in ((latitude, "NS", 90), (longitude, "EW", 180)):
        match = XMP_COORDINATE.fullmatch(text.replace(" ", ""))
        if match is None or match[4].upper() not in axis:
            return None
        degrees = int(match[1]) + float(match[2]) / 60 + float(match[3] or 0) / 3600
        if float(match[2]) >= 60 or float(match[3] or 0) >= 60 or degrees > limit:
            return None
        found.append(round(-degrees if match[4].upper() in "SW" else degrees, 7))
    return (found[0], found[1])


def _qname(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _xmp_value(description: Element, name: str) -> str:
    """A simple property (attribute or element), or a language alternative (x-default first)."""
    qname = _qname(name)
    if qname in description.attrib:
        return clean_text(description.attrib[qname])
    element = description.find(qname)
    if element is None:
        return ""
    items = element.findall(f".//{{{NS['rdf']}}}li")
    if not items:
        return clean_text(element.text or "")
    for item in items:
        if item.get(XML_LANG, "").lower() == "x-default" and clean_text(item.text or ""):
            return clean_text(item.text or "")
    return next((clean_text(i.text or "") for i in items if clean_text(i.text or "")), "")


def _xmp_items(description: Element, name: str) -> list[str]:
    element = description.find(_qname(name))
    if element is None:
        attribute = description.attrib.get(_qname(name))
        return [attribute] if attribute else []
    items = [clean_text(i.text or "") for i in element.findall(f".//{{{NS['rdf']}}}li")]
    return [i for i in items if i] or ([clean_text(element.text)] if clean_text(element.text or "") else [])


# IPTC-IIM ------------------------------------------------------------------------------------------


def read_iim(data: bytes) -> dict[tuple[int, int], list[bytes]]:
    """The datasets of an IPTC-IIM block: ``{(record, dataset): [value, …]}``, in file order."""
    found: dict[tuple[int, int], list[bytes]] = {}
    at = 0
    while at + 5 <= len(data) and data[at] == 0x1C:
        record, dataset = data[at + 1], data[at + 2]
        (size,) = struct.unpack(">H", data[at + 3 : at + 5])
        at += 5
        if size & 0x8000:  # extended: the next (size & 0x7fff) bytes hold the length
            width = size & 0x7FFF
            if width > 4 or at + width > len(data):
                break
            size = int.from_bytes(data[at : at + width], "big")
            at += width
        if at + size > len(data):
            break
        found.setdefault((record, dataset), []).append(data[at : at + size])
        at += size
    return found


def _parse_iptc(blocks: list[bytes], notes: list[str]) -> dict[str, Any]:
    datasets: dict[tuple[int, int], list[bytes]] = {}
    for block in blocks:
        for key, values in read_iim(block).items():
            datasets.setdefault(key, []).extend(values)
    if not datasets:
        return {}
    utf8 = any(v.strip() in IPTC_UTF8 for v in datasets.get((1, 90), []))

    def text(value: bytes) -> str:
        if utf8:
            return clean_text(value.decode("utf-8", "replace"))
        try:  # no charset declared: many writers use UTF-8 anyway; what is not UTF-8 is Latin-1
            return clean_text(value.decode("utf-8"))
        except UnicodeDecodeError:
            return clean_text(value.decode("latin-1"))

    def first(record: int, dataset: int) -> str:
        return next((t for t in map(text, datasets.get((record, dataset), [])) if t), "")

    day, time = first(2, 55), first(2, 60)
    return {
        "title": first(2, 5),
        "description": first(2, 120),
        "creator": clean_text(", ".join(t for t in map(text, datasets.get((2, 80), [])) if t)),
        "credit": first(2, 110),
        "copyright": first(2, 116),
        "keywords": clean_keywords(text(v) for v in datasets.get((2, 25), [])),
        "taken_at": _iptc_date(day, time),
    }


def _iptc_date(day: str, time: str) -> datetime | None:
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", day)
    if not match:
        return None
    clock = re.fullmatch(r"(\d{2})(\d{2})(\d{2})(?:([+-])(\d{2})(\d{2}))?", time)
    if not clock:
        return parse_date(f"{match[1]}-{match[2]}-{match[3]}")
    offset = f"{clock[4]}{clock[5]}:{clock[6]}" if clock[4] else ""
    return parse_date(f"{match[1]}-{match[2]}-{match[3]}T{clock[1]}:{clock[2]}:{clock[3]}{offset}")


# EXIF ----------------------------------------------------------------------------------------------


def _parse_exif(data: bytes, notes: list[str], *, gps: bool) -> dict[str, Any]:
    exif = Image.Exif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data": noted below, once
            exif.load(data)
            sub = dict(exif.get_ifd(ExifTags.IFD.Exif))
            located = dict(exif.get_ifd(ExifTags.IFD.GPSInfo)) if gps else {}
    except Exception:  # a damaged EXIF block: Pillow raises anything from struct.error to KeyError
        notes.append("exif unreadable")
        return {}
    base = dict(exif)
    taken = parse_exif_date(base_value(sub.get(ExifTags.Base.DateTimeOriginal)),
                            base_value(sub.get(ExifTags.Base.OffsetTimeOriginal)))  # fmt: skip
    found: dict[str, Any] = {
        "title": base_value(base.get(ExifTags.Base.ImageDescription)),
        "creator": base_value(base.get(ExifTags.Base.Artist)),
        "copyright": base_value(base.get(ExifTags.Base.Copyright)),
        "taken_at": taken,
        "camera_make": base_value(base.get(ExifTags.Base.Make)),
        "camera_model": base_value(base.get(ExifTags.Base.Model)),
        "lens": base_value(sub.get(ExifTags.Base.LensModel)),
        "orientation": _orientation(base.get(ExifTags.Base.Orientation)),
    }
    if gps:
        found["gps"] = gps_position(located)
    return found


def base_value(value: object) -> str:
    """An EXIF string. Pillow reads ASCII fields as Latin-1; writers put UTF-8 there (``©``)."""
    if isinstance(value, bytes):
        try:
            return clean_text(value.decode("utf-8"))
        except UnicodeDecodeError:
            return clean_text(value.decode("latin-1"))
    if isinstance(value, str):
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            value = value.encode("latin-1").decode("utf-8")
    return clean_text(value)


def _orientation(value: object) -> int | None:
    """1–8 as a SHORT (as browsers read it; ``assets.metadata.orientation_of``), or a numeral in XMP."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if type(value) is int and 1 <= value <= 8:
        return value
    return None


def gps_position(gps: dict[int, Any]) -> tuple[float, float] | None:
    try:
        latitude = _degrees(gps[ExifTags.GPS.GPSLatitude], gps.get(ExifTags.GPS.GPSLatitudeRef), "S")
        longitude = _degrees(gps[ExifTags.GPS.GPSLongitude], gps.get(ExifTags.GPS.GPSLongitudeRef), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return (round(latitude, 7), round(longitude, 7))


def _degrees(value: Any, ref: Any, negative: str) -> float:
    parts = [float(v) for v in value]
    if len(parts) != 3 or any(p != p for p in parts):  # NaN from a 0/0 rational
        raise ValueError("not degrees, minutes, seconds")
    degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    return -degrees if str(ref or "").strip().upper() == negative else degrees


# Dates ---------------------------------------------------------------------------------------------

_DATE = re.compile(
    r"(?P<y>\d{4})(?:[-:](?P<mo>\d{2})(?:[-:](?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?)?)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
MIN_YEAR = 1826  # the oldest surviving photograph; "0000:00:00" and the like are no date


def parse_date(text: str) -> datetime | None:
    """ISO 8601 / EXIF / XMP dates (``2024-05-01T06:30:00+02:00``, ``2024:05:01 06:30:00``,
    ``2024-05``, ``2024``) → datetime (aware if an offset was given); None if it is no real date."""
    match = _DATE.fullmatch(text.strip())
    if not match:
        return None
    parts = {k: int(v) for k, v in match.groupdict().items() if v and k != "tz"}
    try:
        moment = datetime(parts["y"], parts.get("mo", 1), parts.get("d", 1), parts.get("h", 0),
                          parts.get("mi", 0), parts.get("s", 0))  # fmt: skip
    except ValueError:
        return None
    if moment.year < MIN_YEAR:
        return None
    if tz := match["tz"]:
        moment = moment.replace(tzinfo=_offset(tz))
    return moment


def parse_exif_date(text: str, offset: str = "") -> datetime | None:
    moment = parse_date(text)
    if moment is not None and moment.tzinfo is None and offset:
        zone = _offset(offset.strip()) if re.fullmatch(r"[+-]\d{2}:\d{2}", offset.strip()) else None
        if zone is not None:
            moment = moment.replace(tzinfo=zone)
    return moment


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 14 or minutes > 59:
        return UTC
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
