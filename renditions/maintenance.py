"""What the operations commands do, as plain functions (the commands only parse and print).

* ``regenerate``: make (or with ``force`` remake) named renditions, through the same service as
  the lazy path.
* ``stale_rows`` / ``orphan_objects``: renditions nothing can ask for any more (their spec was
  deleted or edited, or the asset's focal point moved), and storage objects no row refers to.
* ``checked`` / ``missing``: originals and renditions the database refers to, and whether
  storage has them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.files.storage import Storage
from django.utils import timezone

from assets.models import Asset, AssetVersion, Upload
from dam.errors import DamError
from dam.storage import originals_storage, renditions_storage, uploads_storage
from renditions import services
from renditions.models import Rendition, RenditionSpec

logger = logging.getLogger(__name__)


@dataclass
class Tally:
    made: int = 0
    existing: int = 0
    failed: list[str] = field(default_factory=list)


def pairs(assets: Iterable[Asset], specs: list[RenditionSpec]) -> Iterator[services.Target]:
    for asset in assets:
        for named in specs:
            yield from services.Target.every_variant(asset, named)


def regenerate(target: services.Target, *, force: bool, dry_run: bool, tally: Tally) -> None:
    existing = services.find(target.asset.id, target.key)
    if existing is not None and not force:
        tally.existing += 1
        return
    if dry_run:
        tally.made += 1
        return
    try:
        if existing is not None:
            existing.delete()  # its file leaves storage after commit; the same name is rewritten
        services.get_or_generate(target)
        tally.made += 1
    except DamError as exc:
        tally.failed.append(f"{target.asset.id} {target.key}: {exc.code}: {exc.message}")


def stale_rows() -> Iterator[Rendition]:
    """Rows no current URL leads to: their named spec is gone or changed, or the key moved."""
    specs = {s.name: s for s in RenditionSpec.objects.all()}
    for row in Rendition.objects.select_related("asset").iterator(chunk_size=500):
        if row.spec_name and row.spec_name not in specs:
            yield row
            continue
        requested = specs[row.spec_name].spec if row.spec_name else row.spec_string
        if not row.key.startswith(services.url_key(row.asset, requested) + "."):
            yield row


def walk(storage: Storage, path: str = "") -> Iterator[str]:
    """Every file name below ``path`` (storage.listdir is one level deep)."""
    try:
        directories, files = storage.listdir(path)
    except FileNotFoundError:  # a local storage whose folder was never created: nothing in it
        return
    for name in files:
        yield f"{path}/{name}" if path else name
    for directory in directories:
        yield from walk(storage, f"{path}/{directory}" if path else directory)


ORPHAN_GRACE = timedelta(hours=1)  # an ingest or render stores its object before its row commits


def orphan_objects(*, grace: timedelta = ORPHAN_GRACE) -> Iterator[tuple[Storage, str]]:
    """Stored objects no row refers to (a rendition whose row was lost, an abandoned upload),
    older than ``grace``: a younger one may belong to a write still in flight."""
    for storage, name in _unreferenced():
        try:
            modified = storage.get_modified_time(name)
        except (NotImplementedError, OSError):
            modified = None
        if modified is None or timezone.now() - modified >= grace:
            yield storage, name


def _unreferenced() -> Iterator[tuple[Storage, str]]:
    known_renditions = set(Rendition.objects.values_list("storage_name", flat=True))
    for name in walk(renditions_storage()):
        if name not in known_renditions:
            yield renditions_storage(), name
    known_originals = set(Asset.objects.values_list("file", flat=True))
    known_originals |= set(AssetVersion.objects.values_list("file", flat=True))  # kept for restore
    for name in walk(originals_storage()):
        if name not in known_originals:
            yield originals_storage(), name
    pending = {
        str(u)
        for u in Upload.objects.filter(
            status__in=[Upload.Status.PENDING, Upload.Status.COMPLETING]
        ).values_list("id", flat=True)
    }
    for name in walk(uploads_storage()):
        if name not in pending:
            yield uploads_storage(), name


def reference_count() -> int:
    """How many objects ``checked`` looks at: one original per asset, one file per rendition."""
    return Asset.objects.count() + Rendition.objects.count()


def checked() -> Iterator[tuple[str, str, bool]]:
    """(kind, name, present) for every object the database refers to, one storage probe each."""
    originals, renditions = originals_storage(), renditions_storage()
    for name in Asset.objects.values_list("file", flat=True).iterator(chunk_size=1000):
        yield "original", name, originals.exists(name)
    for name in Rendition.objects.values_list("storage_name", flat=True).iterator(chunk_size=1000):
        yield "rendition", name, renditions.exists(name)


def missing() -> Iterator[tuple[str, str]]:
    """(kind, name) of every object the database refers to that storage does not have."""
    return ((kind, name) for kind, name, present in checked() if not present)
