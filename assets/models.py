"""The original image and what we know about it."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import IntegrityError, connections, models, transaction
from django.db.models import DEFERRED, Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from treebeard.mp_tree import MP_Node

from assets.egress import redact
from dam.storage import originals_storage

DEFAULT_COLLECTION_NAME = "Library"
_UNLOADED = object()  # a deferred field: what it was is unknown, so a save does not compare it


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Collection(MP_Node):
    """A folder of assets. Nested (django-treebeard's materialised path): every asset is in exactly
    one, and the root (created on first use) is where assets go when nothing else is chosen."""

    # Annotated: treebeard ships no types, so django-stubs cannot see this is a model.
    name: models.CharField[str, str] = models.CharField(max_length=100)
    created_at: models.DateTimeField[object, object] = models.DateTimeField(auto_now_add=True)

    node_order_by = ["name"]  # siblings list alphabetically, whatever order they were made in

    class Meta:
        ordering = ["path"]  # depth-first: a parent, then its sub-collections

    def __str__(self) -> str:
        return self.name

    @classmethod
    def default(cls) -> Collection:
        """The root. A migration makes it; on an emptied database the first caller does, and two
        at once (parallel uploads) both end with the one that won. The root is made at the first
        root's own path, not with treebeard's ``add_root`` (which takes the path after the last
        root it sees: a caller that looked before another committed would make a second root at
        the next path); the path is unique, so the loser gets an IntegrityError and reads it."""
        root = cls.objects.get_first_root_node()
        if root is not None:
            return root
        try:
            with transaction.atomic():
                return cls.objects.create(
                    path=cls._get_path(None, 1, 1), depth=1, numchild=0, name=DEFAULT_COLLECTION_NAME
                )
        except IntegrityError:
            found = cls.objects.get_first_root_node()
            assert found is not None, "the root another request made is visible once it committed"
            return found

    def subtree(self) -> models.QuerySet[Collection]:
        """This collection and everything below it, in one indexed prefix query."""
        return Collection.objects.filter(path__startswith=self.path, depth__gte=self.depth)

    @staticmethod
    def paths(collections: list[Collection]) -> dict[int, str]:
        """``{id: "Library / News / Sport"}`` for many collections, with one query for all their
        ancestors (a materialised path's ancestors are its prefixes)."""
        steplen = Collection.steplen
        prefixes = {c.path[:i] for c in collections for i in range(steplen, len(c.path), steplen)}
        names = {c.path: c.name for c in Collection.objects.filter(path__in=prefixes)} if prefixes else {}
        names.update({c.path: c.name for c in collections})
        return {
            c.pk: " / ".join(names.get(c.path[:i], "?") for i in range(steplen, len(c.path) + 1, steplen))
            for c in collections
        }


class AssetQuerySet(models.QuerySet["Asset"]):
    """Rows come without ``search_document`` (deferred): it is the database's, written by triggers
    (assets migration full_text_search), read only inside search queries, never by Python."""

    def ready(self) -> AssetQuerySet:
        return self.filter(status=Asset.Status.READY)

    def with_related(self) -> AssetQuerySet:
        """Everything a list page or a URL builder needs, in a constant number of queries."""
        return self.select_related("collection").prefetch_related("tags")

    def with_rights(self, status: str) -> AssetQuerySet:
        """``expired``, ``expiring``, ``valid``, ``unknown`` (as ``rights_status``), or ``no_expiry``."""
        today, days = rights_window()
        soon = today + timedelta(days=days)
        return self.filter({
            RightsStatus.EXPIRED: Q(rights_expire_on__lte=today),
            RightsStatus.EXPIRING: Q(rights_expire_on__gt=today, rights_expire_on__lte=soon),
            RightsStatus.VALID: Q(rights_expire_on__gt=soon) | Q(rights_expire_on__isnull=True) & ~Q(licence=""),
            RightsStatus.UNKNOWN: Q(rights_expire_on__isnull=True, licence=""),
            "no_expiry": Q(rights_expire_on__isnull=True),
        }[status])  # fmt: skip

    def in_collection(self, collection: Collection, *, descendants: bool = False) -> AssetQuerySet:
        if descendants:
            return self.filter(collection__path__startswith=collection.path)
        return self.filter(collection=collection)

    def for_api(self) -> AssetQuerySet:
        """What the API's asset JSON reads, in as few round trips as the database allows: the
        collection joined, the usage count and (PostgreSQL) the tag names as columns of the
        list's own query. Elsewhere the tags are prefetched (one more query)."""
        queryset = self.select_related("collection").with_usage_count()
        if connections[queryset.db].vendor != "postgresql":
            return queryset.prefetch_related("tags")
        # Per asset, its few rows of the through table, each name looked up by the tag's key and
        # the lookup stopped at its one match (LIMIT 1: a small tags table is scanned, not
        # indexed): the join before hashed the whole tags table once per asset (100,000 assets,
        # 200 tags: the unfiltered page's query 1.3 → 0.7 ms, tag=sport's 3.5 → 2.4 ms).
        name = Subquery(Tag.objects.filter(pk=OuterRef("tag_id")).order_by().values("name")[:1])
        through = Asset.tags.through.objects.filter(asset_id=OuterRef("pk"))
        names = through.annotate(name=name).order_by("name").values("name")  # type: ignore[misc]  # stubs: annotations unknown
        return queryset.annotate(tag_names=ArraySubquery(names))

    def with_usage_count(self) -> AssetQuerySet:
        """``usage_count`` on each row: a correlated subquery on the (asset, external_id) index, in
        the list's own query (no query per asset; PostgreSQL evaluates it only for the rows of
        the page)."""
        counted = (
            AssetUsage.objects.filter(asset=OuterRef("pk")).order_by().values("asset")
            .annotate(n=Count("pk")).values("n")
        )  # fmt: skip
        return self.annotate(usage_count=Coalesce(Subquery(counted), 0))

    def used(self, used: bool = True) -> AssetQuerySet:
        """Assets the consuming app says it uses somewhere (or, ``used=False``, nowhere)."""
        in_use = Exists(AssetUsage.objects.filter(asset=OuterRef("pk")))
        return self.filter(in_use if used else ~in_use)


_AssetManagerBase = models.Manager.from_queryset(AssetQuerySet)


class AssetManager(_AssetManagerBase):
    _for_api: ClassVar[dict[str, AssetQuerySet]] = {}

    def for_api(self) -> AssetQuerySet:
        """``AssetQuerySet.for_api()``, built once per database and cloned: building its
        subqueries took longer than the clone and the SQL compile together (~0.4 ms a request)."""
        alias = self.db
        if (template := self._for_api.get(alias)) is None:
            template = self._for_api[alias] = self.get_queryset().for_api()
        return template.all()

    def get_queryset(self) -> AssetQuerySet:  # type: ignore[override]  # stubs: a plain QuerySet
        return AssetQuerySet(self.model, using=self._db).defer("search_document")


_unit = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class Format(models.TextChoices):
    """Stored codes (Pillow's names) and the one way each is written for people."""

    JPEG = "JPEG", "JPEG"
    PNG = "PNG", "PNG"
    GIF = "GIF", "GIF"
    WEBP = "WEBP", "WebP"
    AVIF = "AVIF", "AVIF"
    HEIF = "HEIF", "HEIC"


def format_label(code: str) -> str:
    """``WEBP`` → ``WebP``; unknown codes print as they are."""
    try:
        return str(Format(code.upper()).label)
    except ValueError:
        return code


class Original(models.Model):
    """What ingest measured about one original file: the asset's current one, or a kept version."""

    # Never overwritten in storage: a replacement is stored under a new key (see Asset.storage_key).
    file = models.FileField(storage=originals_storage, max_length=512, editable=False)
    original_filename = models.CharField(max_length=255, editable=False)
    content_type = models.CharField(max_length=64, editable=False)
    format = models.CharField(max_length=8, choices=Format.choices, editable=False)
    byte_size = models.PositiveBigIntegerField(editable=False)
    width = models.PositiveIntegerField(editable=False, help_text="As displayed (EXIF orientation applied).")
    height = models.PositiveIntegerField(editable=False, help_text="As displayed (EXIF orientation applied).")
    sha256 = models.CharField(max_length=64, db_index=True, editable=False)
    frame_count = models.PositiveIntegerField(default=1, editable=False)
    mode = models.CharField(max_length=8, editable=False)
    has_icc = models.BooleanField(default=False, editable=False)
    has_alpha = models.BooleanField(default=False, editable=False)
    exif = models.JSONField(default=dict, blank=True, editable=False)
    # What the file says about itself (XMP, IPTC, EXIF; assets/embedded.py), read once when it
    # arrives: {"title", "description", "creator", "credit", "copyright", "keywords", "taken_at",
    # "camera_make", "camera_model", "lens", "orientation", "gps" (only with DAM_STORE_GPS),
    # "sources", "notes"}, the fields found only. NULL: never read (`backfill_metadata` reads it).
    embedded = models.JSONField(null=True, blank=True, default=dict, editable=False)
    taken_at = models.DateTimeField(
        null=True, blank=True, editable=False,
        help_text="When the picture was taken, from the file (a time without an offset is read as UTC).",
    )  # fmt: skip
    # What the file looks like (assets/analysis.py): derived from its pixels, so a kept version
    # keeps its own. Empty/null for files ingested before they were computed.
    placeholder = models.CharField(
        max_length=64, blank=True, default="", editable=False, help_text="BlurHash"
    )
    dominant_color = models.CharField(
        max_length=7, blank=True, default="", editable=False, help_text="#rrggbb"
    )
    perceptual_hash = models.BigIntegerField(null=True, blank=True, editable=False,
                                             help_text="64-bit dHash, stored signed")  # fmt: skip
    # The hash's four 16-bit bands, for the near-duplicate lookup (assets/similar.py).
    phash_0 = models.PositiveIntegerField(null=True, blank=True, editable=False)
    phash_1 = models.PositiveIntegerField(null=True, blank=True, editable=False)
    phash_2 = models.PositiveIntegerField(null=True, blank=True, editable=False)
    phash_3 = models.PositiveIntegerField(null=True, blank=True, editable=False)
    auto_focal_x = models.FloatField(null=True, blank=True, editable=False, validators=_unit)
    auto_focal_y = models.FloatField(null=True, blank=True, editable=False, validators=_unit)

    class Meta:
        abstract = True

    @classmethod
    def measured_fields(cls) -> list[str]:
        return [f.name for f in Original._meta.fields]

    def copy_original_to(self, other: Original) -> None:
        for name in self.measured_fields():
            # The file by name: a FieldFile object moved between instances would be shared by both.
            value = self.file.name if name == "file" else getattr(self, name)
            setattr(other, name, value)


class Licence(models.TextChoices):
    """Under what terms an asset may be used. Blank: unknown."""

    ALL_RIGHTS_RESERVED = "all_rights_reserved", "All rights reserved"
    CC_BY = "cc_by", "CC BY"
    CC_BY_SA = "cc_by_sa", "CC BY-SA"
    CC_BY_ND = "cc_by_nd", "CC BY-ND"
    CC0 = "cc0", "CC0"
    PUBLIC_DOMAIN = "public_domain", "Public domain"
    EDITORIAL_ONLY = "editorial_only", "Editorial use only"
    AGENCY = "agency", "Agency / stock"
    OTHER = "other", "Other"


class RightsStatus(models.TextChoices):
    VALID = "valid"  # a licence and no expiry, or an expiry past the window
    EXPIRING = "expiring"  # the rights end within DAM_RIGHTS_EXPIRING_DAYS
    EXPIRED = "expired"  # the rights ended: the expiry date is today or earlier
    UNKNOWN = "unknown"  # neither a licence nor an expiry date


def rights_status(licence: str, expires_on: date | None, today: date, window_days: int) -> RightsStatus:
    """The rights end *on* their expiry date: from that day the asset may no longer be used."""
    if expires_on is None:
        return RightsStatus.VALID if licence else RightsStatus.UNKNOWN
    if expires_on <= today:
        return RightsStatus.EXPIRED
    if expires_on <= today + timedelta(days=window_days):
        return RightsStatus.EXPIRING
    return RightsStatus.VALID


def rights_window() -> tuple[date, int]:
    return timezone.localdate(), settings.DAM_RIGHTS_EXPIRING_DAYS


class Asset(Original):
    class Status(models.TextChoices):
        PROCESSING = "processing"
        READY = "ready"
        FAILED = "failed"

    Format = Format

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(max_length=255, blank=True)
    alt_text = models.CharField(
        max_length=1000, blank=True, help_text="Describes the image for screen readers."
    )
    caption = models.TextField(blank=True)
    credit = models.CharField(max_length=255, blank=True)
    copyright = models.CharField(max_length=255, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="assets")
    collection = models.ForeignKey(
        Collection, on_delete=models.PROTECT, related_name="assets",
        help_text="Every asset is in exactly one collection.",
    )  # fmt: skip

    licence = models.CharField(max_length=24, choices=Licence.choices, blank=True,
                               help_text="Blank: unknown.")  # fmt: skip
    licence_detail = models.CharField(
        max_length=255, blank=True, help_text="E.g. the agency and contract, or the licence's version."
    )
    usage_terms = models.TextField(blank=True, help_text="What the licence allows, in words.")
    rights_expire_on = models.DateField(
        null=True, blank=True, db_index=True, help_text="The day the rights end; empty: they do not."
    )
    # When `notify_rights_expiring` announced the current expiry date; cleared when it changes.
    rights_expiry_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    focal_x = models.FloatField(null=True, blank=True, validators=_unit, help_text="0 = left, 1 = right")
    focal_y = models.FloatField(null=True, blank=True, validators=_unit, help_text="0 = top, 1 = bottom")

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.READY, db_index=True)
    failure_reason = models.TextField(blank=True, editable=False)
    # While processing: when its eager renditions were last queued or last started. A sweep queues
    # them again once this is older than DAM_EAGER_STALL_SECONDS (a task lost with the broker, or
    # never queued because the broker was down when the upload committed).
    processing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, editable=False
    )
    # PostgreSQL's full-text document (title A, tags and alt text B, caption and credit C, file name
    # D), kept current by triggers on this table, the tags' through table and Tag renames
    # (migration full_text_search); unused (NULL) on SQLite. See assets/search.py.
    search_document = SearchVectorField(null=True, editable=False)

    objects = AssetManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="asset_newest"),
            # Covering (PostgreSQL): the near-duplicate lookup reads only these indexes (assets/similar.py).
            *(
                models.Index(
                    fields=[f"phash_{band}"], include=["perceptual_hash", "id"], name=f"asset_phash_{band}"
                )
                for band in range(4)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="asset_focal_point_both_or_neither_in_unit_square",
                condition=Q(focal_x__isnull=True, focal_y__isnull=True)
                | Q(focal_x__gte=0, focal_x__lte=1, focal_y__gte=0, focal_y__lte=1),
            )
        ]

    def __str__(self) -> str:
        return self.title or self.original_filename or str(self.id)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.collection_id is None:
            self.collection = Collection.default()
        loaded = getattr(self, "_loaded_expiry", _UNLOADED)
        if loaded is not _UNLOADED and loaded != self.rights_expire_on:
            self.rights_expiry_notified_at = None  # a new expiry date is announced again
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "rights_expiry_notified_at"}
        super().save(*args, **kwargs)
        self._loaded_expiry = self.rights_expire_on

    # Per list of loaded columns: where each field's value sits in a row, None where deferred.
    _row_layouts: ClassVar[dict[tuple[str, ...], tuple[int | None, ...]]] = {}

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Asset:
        """Model.from_db, with the positions of a partial row (every query defers
        ``search_document``) worked out once per column list: Django looks each of ~45 fields up
        in the list of loaded names, per row (a twentieth of an API list page)."""
        if len(values) != len(cls._meta.concrete_fields):
            names = tuple(field_names)
            if (layout := cls._row_layouts.get(names)) is None:
                where = {name: i for i, name in enumerate(names)}
                layout = cls._row_layouts[names] = tuple(
                    where.get(f.attname) for f in cls._meta.concrete_fields
                )
            values = [DEFERRED if i is None else values[i] for i in layout]
        instance = cls(*values)
        instance._state.adding = False
        instance._state.db = db
        instance._loaded_expiry = instance.__dict__.get("rights_expire_on", _UNLOADED)
        return instance

    @property
    def rights_status(self) -> RightsStatus:
        return rights_status(self.licence, self.rights_expire_on, *rights_window())

    @property
    def focal_point(self) -> tuple[float, float] | None:
        """Where ``fill`` crops centre: the editor's point, else the automatic one (unless
        ``DAM_AUTO_FOCAL_POINT`` is off), else None (the centre)."""
        return effective_focal_point(self.focal_x, self.focal_y, self.auto_focal_x, self.auto_focal_y)

    @property
    def focal_point_source(self) -> str | None:
        """``editor``, ``auto`` or None: whose point ``focal_point`` is."""
        if self.focal_x is not None and self.focal_y is not None:
            return "editor"
        return "auto" if self.focal_point is not None else None

    @staticmethod
    def storage_key(asset_id: uuid.UUID, extension: str, *, replacement: bool = False) -> str:
        """Where an original lives: server-chosen, unique, never the client's name. A replacement
        gets a fresh suffix, so no file (nor a kept version) is ever overwritten."""
        suffix = f"-{secrets.token_hex(6)}" if replacement else ""
        return f"{asset_id.hex[:2]}/{asset_id}{suffix}.{extension}"


def effective_focal_point(
    fx: float | None, fy: float | None, auto_x: float | None, auto_y: float | None
) -> tuple[float, float] | None:
    """The one rule, also for raw rows (the rendition hit query): editor's, else automatic."""
    if fx is not None and fy is not None:
        return (fx, fy)
    if auto_x is not None and auto_y is not None and settings.DAM_AUTO_FOCAL_POINT:
        return (auto_x, auto_y)
    return None


class AssetVersion(Original):
    """A previous original of an asset, kept when an editor replaced the file; restorable."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="versions")
    uploaded_at = models.DateTimeField(help_text="When this file was uploaded.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replaced_at = models.DateTimeField(help_text="When this file stopped being the asset's original.")
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-replaced_at"]

    def __str__(self) -> str:
        return f"{self.original_filename} ({self.sha256[:12]})"


# An external id is one path segment of the usages API (``PUT assets/{id}/usages/{external_id}``):
# characters that need no escaping in a URL path and none a proxy might normalise ("/", "%", ".."
# alone are the risky ones; "/" is refused, "." is allowed but an id of dots only is not).
EXTERNAL_ID_MAX_LENGTH = 255
EXTERNAL_ID_PATTERN = r"[A-Za-z0-9._:-]+"
EXTERNAL_ID_RULE = (
    f"1–{EXTERNAL_ID_MAX_LENGTH} characters: letters A–Z and a–z, digits, and . _ : - "
    "(not only dots), e.g. “article:4711”."
)
USAGE_URL_MAX_LENGTH = 2000
USAGE_LABEL_MAX_LENGTH = 255


def valid_external_id(value: str) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value) <= EXTERNAL_ID_MAX_LENGTH
        and re.fullmatch(EXTERNAL_ID_PATTERN, value, flags=re.ASCII) is not None
        and value.strip(".") != ""
    )


def validate_external_id(value: str) -> None:
    if not valid_external_id(value):
        raise ValidationError(f"An external id is {EXTERNAL_ID_RULE}", code="invalid_external_id")


class AssetUsage(models.Model):
    """Where the consuming app shows an asset (an article, a page, a product), as it told dam:
    one row per (asset, the app's own id for the place). Deleted with the asset."""

    # No index of its own: the unique (asset, external_id) index serves lookups by asset.
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="usages", db_index=False)
    external_id = models.CharField(
        max_length=EXTERNAL_ID_MAX_LENGTH, validators=[validate_external_id],
        help_text=f"The consuming app's id for the place: {EXTERNAL_ID_RULE}",
    )  # fmt: skip
    url = models.URLField(
        max_length=USAGE_URL_MAX_LENGTH, validators=[URLValidator(schemes=["http", "https"])],
        help_text="Where the place is (http or https).",
    )  # fmt: skip
    label = models.CharField(max_length=USAGE_LABEL_MAX_LENGTH, blank=True, help_text="What people call it.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who last wrote it: the API key, or a staff user (through the API with a session).
    updated_by_key = models.ForeignKey(
        "ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        editable=False,
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "external_id"], name="asset_usage_external_id_unique"),
            models.CheckConstraint(
                name="asset_usage_written_by_a_key_or_a_user",
                condition=Q(updated_by_key__isnull=True) | Q(updated_by__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.label or self.external_id

    @property
    def written_by(self) -> str:
        if self.updated_by_key is not None:
            return str(self.updated_by_key)
        return str(self.updated_by) if self.updated_by is not None else ""


class ApiKey(models.Model):
    """A machine client's key. Only its SHA-256 is stored; the key itself is shown once."""

    PREFIX = "dam_"

    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=16, editable=False, help_text="Identifies the key in logs and lists."
    )
    hashed_key = models.CharField(max_length=64, unique=True, editable=False)
    read_only = models.BooleanField(default=False, help_text="May read, never write.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="Set to revoke; revoked keys get 401.")

    class Meta:
        verbose_name = "API key"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def digest(raw: str) -> str:
        # Keys are 256 random bits: a fast hash is enough (no dictionary to attack, unlike passwords).
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, name: str, *, read_only: bool = False) -> tuple[ApiKey, str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        key = cls.objects.create(name=name, prefix=raw[:12], hashed_key=cls.digest(raw), read_only=read_only)
        return key, raw

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class UploadQuerySet(models.QuerySet["Upload"]):
    def created_by(self, *, api_key: ApiKey | None, user: Any) -> UploadQuerySet:
        """The uploads this client started: a key sees its own, a staff user theirs."""
        if api_key is not None:
            return self.filter(api_key=api_key)
        if user is not None and user.is_authenticated:
            return self.filter(created_by=user, api_key__isnull=True)
        return self.none()

    def abandoned(self, now: datetime) -> UploadQuerySet:
        """Past their expiry and never finished: waiting for a file, or claimed by a dead `complete`."""
        return self.filter(expires_at__lte=now, status__in=[Upload.Status.PENDING, Upload.Status.COMPLETING])


class Upload(models.Model):
    """A direct upload: the client sends the bytes to storage, then calls ``complete``."""

    class Status(models.TextChoices):
        PENDING = "pending"
        COMPLETING = "completing"
        COMPLETE = "complete"
        REJECTED = "rejected"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    byte_size = models.PositiveBigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error_code = models.CharField(max_length=32, blank=True)
    asset = models.ForeignKey(Asset, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The creator: only the same key (or staff user) may read and complete it. SET_NULL, not
    # CASCADE: the row of a deleted creator's upload stays until prune_uploads removes its
    # quarantined object with it (a cascade would orphan the object).
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True, help_text="Send the file and complete before this.")
    # When a `complete` took the upload; a claim older than DAM_UPLOAD_COMPLETE_TIMEOUT is dead
    # (its worker crashed or was killed) and the next `complete` may take it over.
    claimed_at = models.DateTimeField(null=True, blank=True)

    objects = UploadQuerySet.as_manager()

    class Meta:
        # Not "uploads": the admin's sidebar lists these next to the library's "Upload images".
        verbose_name = "direct upload"
        constraints = [
            models.CheckConstraint(
                name="upload_created_by_a_key_or_a_user",
                condition=Q(api_key__isnull=True) | Q(created_by__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    @property
    def storage_name(self) -> str:
        return str(self.id)


# 256 random bits, as for API keys: an HMAC key no one can guess or brute-force.
WEBHOOK_SECRET_BYTES = 32


# How long a rotated-out webhook secret keeps signing deliveries by default (at most a week).
PREVIOUS_SECRET_OVERLAP = timedelta(hours=24)
MAX_PREVIOUS_SECRET_OVERLAP = timedelta(days=7)


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(WEBHOOK_SECRET_BYTES)


class WebhookEndpoint(models.Model):
    """Where dam tells the consuming app that something happened (configured in the admin).

    The secret is made by the server, shown once when the endpoint is created or its secret is
    rotated, and never editable (a typed secret is a guessable one).
    """

    class Event(models.TextChoices):
        ASSET_CREATED = "asset.created"
        ASSET_UPDATED = "asset.updated"
        ASSET_READY = "asset.ready"
        ASSET_FAILED = "asset.failed"
        ASSET_DELETED = "asset.deleted"
        ASSET_RIGHTS_EXPIRING = "asset.rights_expiring"

    TEST_EVENT = "webhook.test"  # sent on request to one endpoint, whatever its events

    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=128, default=new_webhook_secret, editable=False,
        help_text="Shared secret for the X-Dam-Signature HMAC.",
    )  # fmt: skip
    previous_secret = models.CharField(
        max_length=128, blank=True, editable=False,
        help_text="The secret before the last rotation; it signs too until previous_secret_expires_at.",
    )  # fmt: skip
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    events = models.JSONField(default=list, help_text="Event names; empty means all events.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return redact(self.url)  # str() lands in the admin's history log: no credentials, no query

    def rotate_secret(self, *, keep_previous_for: timedelta = PREVIOUS_SECRET_OVERLAP) -> str:
        """A new secret. Deliveries are signed with the old one too for ``keep_previous_for`` (as
        Stripe does), so the consuming app can switch without rejecting events meanwhile; zero
        revokes the old secret at once (the thing to do when it leaked)."""
        keep = keep_previous_for > timedelta(0)
        self.previous_secret = self.secret if keep else ""
        self.previous_secret_expires_at = timezone.now() + keep_previous_for if keep else None
        self.secret = new_webhook_secret()
        self.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
        return self.secret

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets a delivery sent at ``now`` is signed with: the current one first."""
        expires = self.previous_secret_expires_at
        overlap = self.previous_secret and expires is not None and now < expires
        return [self.secret, self.previous_secret] if overlap else [self.secret]

    def wants(self, event: str) -> bool:
        return self.active and (not self.events or event in self.events)


class WebhookDeliveryQuerySet(models.QuerySet["WebhookDelivery"]):
    def due(self, now: datetime) -> WebhookDeliveryQuerySet:
        """Waiting for an attempt that is due, held by no sender, to an endpoint still active."""
        return self.filter(next_attempt_at__lte=now, endpoint__active=True).filter(
            Q(locked_until__isnull=True) | Q(locked_until__lt=now)
        )


class WebhookDelivery(models.Model):
    """One event for one endpoint: an outbox row, written in the transaction that made the change,
    then sent (and retried) by a sender (assets/outbox.py), with what the endpoint answered."""

    class Status(models.TextChoices):
        PENDING = "pending"  # an attempt is due or scheduled
        DELIVERED = "delivered"  # the endpoint answered 2xx
        FAILED = "failed"  # every attempt failed; redeliver to try again

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32)
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the next attempt is due; empty once delivered or given up.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A sender holds the row until then; a sender killed mid-attempt loses it then.
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            # The senders' question, "what is due?", reads only the rows still waiting.
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due",
                         condition=Q(next_attempt_at__isnull=False)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"

    @property
    def status(self) -> str:
        if self.delivered_at is not None:
            return self.Status.DELIVERED
        return self.Status.PENDING if self.next_attempt_at is not None else self.Status.FAILED
