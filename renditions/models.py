"""What renditions exist (the database is the source of truth) and how editors name them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from assets.models import Asset
from renditions.specs import Spec, SpecLimits

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,49}$"


def spec_limits() -> SpecLimits:
    return SpecLimits(
        max_length=settings.DAM_MAX_SPEC_LENGTH,
        max_operations=settings.DAM_MAX_SPEC_OPERATIONS,
        max_edge=settings.DAM_MAX_RENDITION_EDGE,
    )


def validate_spec(value: str) -> None:
    """Every problem of the spec, not only the first (editors fix them all in one go)."""
    problems = Spec.problems(value, spec_limits())
    if problems:
        raise ValidationError([ValidationError(p, code="invalid_spec") for p in problems])


class RenditionSpec(models.Model):
    """A named spec editors manage (``thumb`` → ``fill-200x200|format-webp``)."""

    name = models.CharField(
        max_length=50,
        unique=True,
        validators=[RegexValidator(NAME_PATTERN, "Lower-case letters, digits, - and _.")],
        help_text="Used in URLs and in the API; changing it changes every URL of this spec.",
    )
    spec = models.CharField(max_length=256, validators=[validate_spec],
                            help_text="e.g. fill-800x600|format-webp|quality-80")  # fmt: skip
    description = models.CharField(max_length=255, blank=True)
    eager = models.BooleanField(default=False, help_text="Generate right after upload, in the background.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "rendition spec"

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.spec = str(Spec.parse(self.spec, spec_limits()))  # always stored canonical
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def parsed(self) -> Spec:
        return Spec.parse(self.spec, spec_limits())


class RenditionQuerySet(models.QuerySet["Rendition"]):
    def for_assets(self, asset_ids: list[object]) -> RenditionQuerySet:
        return self.filter(asset_id__in=asset_ids)


class Rendition(models.Model):
    """One generated file. A row exists only once its object is in storage."""

    # No index of its own: the unique (asset, key) index leads with the asset, and serves every
    # lookup by asset (one index fewer to write per rendition).
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="renditions", db_index=False)
    spec = models.ForeignKey(RenditionSpec, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="renditions", help_text="Empty for ad-hoc specs.")  # fmt: skip
    key = models.CharField(max_length=32, help_text="Content key + extension, e.g. 3f2a….webp")
    spec_name = models.CharField(
        max_length=50, blank=True, help_text="The named spec's name when made; empty for ad-hoc."
    )
    spec_string = models.CharField(
        max_length=256,
        help_text="The canonical spec its URL asked for (format-auto included); the key hashes it.",
    )
    storage_name = models.CharField(max_length=512)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    format = models.CharField(max_length=8)
    content_type = models.CharField(max_length=32)
    byte_size = models.PositiveBigIntegerField()
    frames = models.PositiveIntegerField(default=1)
    render_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RenditionQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["asset", "key"], name="rendition_unique_asset_key")]

    def __str__(self) -> str:
        return f"{self.asset_id}/{self.key}"


class RenderLease(models.Model):
    """Single flight across processes: whoever holds the lease for a key renders it.

    A lease expires, so a process killed mid-render delays the others by at most
    ``DAM_RENDER_LEASE_SECONDS`` instead of blocking the rendition forever.
    """

    name = models.CharField(max_length=100, primary_key=True)
    owner = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.name
