"""The original image and what we know about it."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from treebeard.mp_tree import MP_Node

from assets.egress import redact
from dam.storage import originals_storage

DEFAULT_COLLECTION_NAME = "Library"


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
        at once (parallel uploads) both end with the one that won (the path is unique)."""
        root = cls.objects.get_first_root_node()
        if root is not None:
            return root
        try:
            with transaction.atomic():
                return cls.objects.add_root(create_kwargs={"name": DEFAULT_COLLECTION_NAME})
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

    def in_collection(self, collection: Collection, *, descendants: bool = False) -> AssetQuerySet:
        if descendants:
            return self.filter(collection__path__startswith=collection.path)
        return self.filter(collection=collection)


_AssetManagerBase = models.Manager.from_queryset(AssetQuerySet)


class AssetManager(_AssetManagerBase):
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

    focal_x = models.FloatField(null=True, blank=True, validators=_unit, help_text="0 = left, 1 = right")
    focal_y = models.FloatField(null=True, blank=True, validators=_unit, help_text="0 = top, 1 = bottom")

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.READY, db_index=True)
    failure_reason = models.TextField(blank=True, editable=False)
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
        indexes = [models.Index(fields=["-created_at", "-id"], name="asset_newest")]
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
        super().save(*args, **kwargs)

    @property
    def focal_point(self) -> tuple[float, float] | None:
        if self.focal_x is None or self.focal_y is None:
            return None
        return (self.focal_x, self.focal_y)

    @staticmethod
    def storage_key(asset_id: uuid.UUID, extension: str, *, replacement: bool = False) -> str:
        """Where an original lives: server-chosen, unique, never the client's name. A replacement
        gets a fresh suffix, so no file (nor a kept version) is ever overwritten."""
        suffix = f"-{secrets.token_hex(6)}" if replacement else ""
        return f"{asset_id.hex[:2]}/{asset_id}{suffix}.{extension}"


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

    TEST_EVENT = "webhook.test"  # sent on request to one endpoint, whatever its events

    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=128, default=new_webhook_secret, editable=False,
        help_text="Shared secret for the X-Dam-Signature HMAC.",
    )  # fmt: skip
    events = models.JSONField(default=list, help_text="Event names; empty means all events.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return redact(self.url)  # str() lands in the admin's history log: no credentials, no query

    def rotate_secret(self) -> str:
        self.secret = new_webhook_secret()
        self.save(update_fields=["secret"])
        return self.secret

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
