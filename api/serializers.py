"""JSON shapes of the API: snake_case, ISO 8601 UTC, string ids, absolute and stable URLs."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.fields import empty
from rest_framework.settings import api_settings
from rest_framework.utils import html

from api.collections import CollectionRefField, collection_paths
from assets import similar, uploads
from assets.filenames import safe_display_name
from assets.ingest import AssetFields, parse_tags
from assets.models import Asset, Collection, Licence, RightsStatus, Upload, rights_status, rights_window
from renditions.exceptions import InvalidSpec
from renditions.models import RenditionSpec, spec_limits
from renditions.services import RenditionInfo, parsed
from renditions.specs import Spec

MAX_SIGNED_URLS = 50  # per request: a page of images, not a crawl
MAX_URL_LIFETIME = 10 * 365 * 86400  # ten years; omit expires_in for a URL that never expires
MAX_USAGE_TERMS = 10_000  # characters


@extend_schema_field({"type": "object", "nullable": True, "properties": {
    "x": {"type": "number", "minimum": 0, "maximum": 1}, "y": {"type": "number", "minimum": 0, "maximum": 1},
    "source": {"type": "string", "enum": ["editor", "auto"], "readOnly": True,
               "description": "editor: set by an editor; auto: found in the image at ingest"}}})  # fmt: skip
class FocalPointField(serializers.Field):
    """``{"x": 0.5, "y": 0.3}`` (0..1, from the top-left), ``null``, or ``"0.5,0.3"`` in a form.
    Read back with ``"source"``: the editor's point, else the automatic one (``null`` clears the
    editor's; the automatic one then applies again)."""

    def to_representation(self, value: Asset) -> dict[str, Any] | None:
        point = value.focal_point
        return None if point is None else {"x": point[0], "y": point[1], "source": value.focal_point_source}

    def to_internal_value(self, data: Any) -> tuple[float, float] | None:
        if data in (None, ""):
            return None
        try:
            if isinstance(data, str):
                x, y = (float(v) for v in data.split(","))
            else:
                x, y = float(data["x"]), float(data["y"])
        except (ValueError, TypeError, KeyError) as exc:
            raise serializers.ValidationError('Expected {"x": 0..1, "y": 0..1} or "x,y".') from exc
        if not (0 <= x <= 1 and 0 <= y <= 1):
            raise serializers.ValidationError("x and y must be between 0 and 1.")
        return (x, y)


class TagsField(serializers.ListField):
    """A list of tags: JSON ``["a", "b"]``; in a form ``tags=a&tags=b``, ``tags[]=a&tags[]=b``
    (how Rails and Faraday send arrays) or one ``"a, b"`` (as editors type them; a tag never holds
    a comma). ``tags`` and ``tags[]`` together are one list."""

    child = serializers.CharField(max_length=64)
    ARRAY_SUFFIX = "[]"

    def get_value(self, dictionary: Any) -> Any:
        if html.is_html_input(dictionary):
            name = self.field_name or ""
            names = (name, name + self.ARRAY_SUFFIX)
            if any(name in dictionary for name in names):
                return [value for name in names for value in dictionary.getlist(name)]
        return super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> list[str]:
        if isinstance(data, str):
            data = [data]
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            data = [tag for item in data for tag in parse_tags(item)]
        return sorted({t.strip().lower() for t in super().to_internal_value(data) if t.strip()})


def _recoded(detail: Any, code: str) -> Any:
    if isinstance(detail, dict):
        return {key: _recoded(value, code) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_recoded(item, code) for item in detail]
    return ErrorDetail(str(detail), code=code)


class RightsSerializer(serializers.Serializer):
    """An asset's rights. Any problem with one is ``invalid_rights`` (keyed under ``errors.rights``).
    In a form: ``rights[licence]=cc_by`` (Rails, Faraday) or ``rights.licence=cc_by``."""

    licence = serializers.ChoiceField(choices=Licence.choices, allow_blank=True, required=False,
                                      help_text="Blank: unknown.")  # fmt: skip
    licence_detail = serializers.CharField(allow_blank=True, required=False, max_length=255)
    usage_terms = serializers.CharField(allow_blank=True, required=False, max_length=MAX_USAGE_TERMS)
    expires_on = serializers.DateField(source="rights_expire_on", allow_null=True, required=False,
                                       help_text="The day the rights end (ISO 8601 date); null: they do not.")  # fmt: skip
    status = serializers.ChoiceField(choices=RightsStatus.choices, source="rights_status", read_only=True,
                                     help_text="expired: the expiry date is today or past; expiring: within "
                                     "DAM_RIGHTS_EXPIRING_DAYS; valid: a licence, or a later expiry; unknown: neither")  # fmt: skip

    def get_value(self, dictionary: Any) -> Any:
        if html.is_html_input(dictionary):
            name = self.field_name or ""
            found = {key[len(name) + 1 :].rstrip("]"): dictionary.get(key) for key in dictionary
                     if key.startswith((f"{name}[", f"{name}."))}  # fmt: skip
            if found.get("expires_on") == "":
                found["expires_on"] = None  # an empty date field in a form: no expiry
            return found or empty
        return super().get_value(dictionary)

    def run_validation(self, data: Any = empty) -> Any:
        try:
            return super().run_validation(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(_recoded(exc.detail, "invalid_rights")) from exc

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            writable = [name for name, field in self.fields.items() if not field.read_only]
            if unknown := sorted(set(data) - set(writable)):
                known = ", ".join(writable)
                kind = {name: "Read-only" if name in self.fields else "Unknown member" for name in unknown}
                raise serializers.ValidationError(
                    {name: [f"{kind[name]}; writable: {known}."] for name in unknown}
                )
        return super().to_internal_value(data)


class RenditionSerializer(serializers.Serializer):
    url = serializers.URLField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    content_type = serializers.CharField(
        allow_null=True, help_text="null for format-auto (depends on Accept)"
    )
    status = serializers.ChoiceField(choices=["ready", "pending"], help_text="pending: made on first request")


class AssetSerializer(serializers.ModelSerializer[Asset]):
    id = serializers.CharField(read_only=True)
    filename = serializers.CharField(source="original_filename", read_only=True)
    checksum = serializers.CharField(source="sha256", read_only=True, help_text="SHA-256 of the original")
    tags = serializers.SerializerMethodField()
    focal_point = FocalPointField(source="*", read_only=True)
    placeholder = serializers.SerializerMethodField()
    renditions = serializers.SerializerMethodField()
    srcset = serializers.SerializerMethodField()
    collection = CollectionRefField(help_text="The collection the asset is in: its id and path")
    usage_count = serializers.SerializerMethodField(
        help_text="In how many places the consuming app uses the asset (GET assets/{id}/usages/)"
    )
    rights = RightsSerializer(source="*", read_only=True)
    embedded_metadata = serializers.JSONField(
        source="embedded", read_only=True, allow_null=True,
        help_text="What the file itself says (XMP, IPTC, EXIF), read once at upload: only the fields found "
        "(docs/api.md); null for an asset uploaded before dam read it (backfill_metadata)",
    )  # fmt: skip
    taken_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                         help_text="When the picture was taken, from the file; null if unknown")  # fmt: skip

    class Meta:
        model = Asset
        fields = ["id", "title", "alt_text", "caption", "credit", "copyright", "tags", "collection", "filename",
                  "content_type", "format", "byte_size", "checksum", "width", "height", "frame_count",
                  "has_alpha", "exif", "embedded_metadata", "taken_at", "rights", "focal_point", "placeholder",
                  "status", "failure_reason", "created_at", "updated_at", "usage_count", "renditions",
                  "srcset"]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, asset: Asset) -> dict[str, Any]:
        """The fields above, written out: the API's hottest answer (every list page, 50 assets)
        spent most of its time in DRF's per-field machinery. The declared fields stay the schema;
        tests/api/test_asset_json.py holds this to DRF's own representation of them."""

        def when(value: datetime) -> str:  # as DRF's DateTimeField writes them: DATETIME_FORMAT, in UTC
            return value.astimezone(UTC).strftime(api_settings.DATETIME_FORMAT)

        point = asset.focal_point
        paths = self.context.get("collection_paths") or collection_paths([asset])
        return {
            "id": str(asset.id),
            "title": asset.title,
            "alt_text": asset.alt_text,
            "caption": asset.caption,
            "credit": asset.credit,
            "copyright": asset.copyright,
            "tags": self.get_tags(asset),
            "collection": {"id": asset.collection_id, "path": paths.get(asset.collection_id, "")},
            "filename": asset.original_filename,
            "content_type": asset.content_type,
            "format": asset.format,
            "byte_size": asset.byte_size,
            "checksum": asset.sha256,
            "width": asset.width,
            "height": asset.height,
            "frame_count": asset.frame_count,
            "has_alpha": asset.has_alpha,
            "exif": asset.exif,
            "embedded_metadata": asset.embedded,
            "taken_at": when(asset.taken_at) if asset.taken_at else None,
            "rights": {
                "licence": asset.licence,
                "licence_detail": asset.licence_detail,
                "usage_terms": asset.usage_terms,
                "expires_on": asset.rights_expire_on.isoformat() if asset.rights_expire_on else None,
                "status": str(rights_status(asset.licence, asset.rights_expire_on, *self._rights_window())),
            },
            "focal_point": None
            if point is None
            else {"x": point[0], "y": point[1], "source": asset.focal_point_source},
            "placeholder": self.get_placeholder(asset),
            "status": asset.status,
            "failure_reason": asset.failure_reason,
            "created_at": when(asset.created_at),
            "updated_at": when(asset.updated_at),
            "usage_count": self.get_usage_count(asset),
            "renditions": self.get_renditions(asset),
            "srcset": self.get_srcset(asset),
        }

    def _rights_window(self) -> tuple[date, int]:
        """Today and the expiring window, once per answer (``timezone.localdate()`` per asset was
        a fifteenth of a list page)."""
        if (window := self.context.get("rights_window")) is None:
            window = self.context["rights_window"] = rights_window()
        return window

    def get_tags(self, asset: Asset) -> list[str]:
        names = getattr(asset, "tag_names", None)  # Asset.objects.for_api() on PostgreSQL: a column
        return list(names) if names is not None else [tag.name for tag in asset.tags.all()]  # else prefetched

    def get_usage_count(self, asset: Asset) -> int:
        counted = getattr(asset, "usage_count", None)  # Asset.objects.with_usage_count(): in the list's query
        return int(counted) if counted is not None else asset.usages.count()

    @extend_schema_field({"type": "object", "nullable": True, "properties": {
        "blurhash": {"type": "string", "description": "BlurHash (4×3 components, 3×4 for portrait)"},
        "color": {"type": "string", "pattern": "^#[0-9a-f]{6}$", "description": "dominant colour"}},
        "description": "What to show while the image loads (docs/api.md); null for files not analysed"})  # fmt: skip
    def get_placeholder(self, asset: Asset) -> dict[str, str] | None:
        if not asset.placeholder:
            return None
        return {"blurhash": asset.placeholder, "color": asset.dominant_color}

    def _renditions(self, asset: Asset) -> dict[str, RenditionInfo]:
        return dict(self.context["renditions"].get(asset.id, {}))

    @extend_schema_field(
        {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Rendition"}}
    )
    def get_renditions(self, asset: Asset) -> dict[str, dict[str, object]]:
        return {name: info.as_dict() for name, info in self._renditions(asset).items()}

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string"},
                          "example": {"image/webp": "https://…/small/….webp 480w, https://…/medium/….webp 960w"}})  # fmt: skip
    def get_srcset(self, asset: Asset) -> dict[str, str]:
        """Per content type, the ratio-keeping named renditions as a ready ``srcset`` value."""
        keeping = self.context.get("ratio_keeping")  # worked out once per list, not per asset
        if keeping is None:
            keeping = self.context["ratio_keeping"] = {s.name for s in self.context["specs"] if not _crops(s)}
        by_type: dict[str, list[tuple[int, str]]] = {}
        for name, info in self._renditions(asset).items():
            if name not in keeping or info.width is None or info.content_type is None:
                continue
            by_type.setdefault(info.content_type, []).append((info.width, info.url))
        return {kind: _one_per_width(entries) for kind, entries in by_type.items()}


def _one_per_width(entries: list[tuple[int, str]]) -> str:
    """A ``srcset`` value with each width once. A source smaller than several specs gives them all
    its own width (no upscaling), and a browser treats repeated widths as an invalid srcset; the
    pixels are the same, so the first URL (by spec name) stands for that width (the HTML standard
    makes a repeated width descriptor an error; browsers drop all but one)."""
    chosen: dict[int, str] = {}
    for width, url in sorted(entries):
        chosen.setdefault(width, url)
    return ", ".join(f"{url} {width}w" for width, url in chosen.items())


def _crops(named: RenditionSpec) -> bool:
    from renditions import operations as ops

    spec = parsed(named)
    return spec.has(ops.Fill) or spec.has(ops.Pad) or spec.has(ops.Crop)


class AssetUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=255)
    alt_text = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    caption = serializers.CharField(required=False, allow_blank=True)
    credit = serializers.CharField(required=False, allow_blank=True, max_length=255)
    copyright = serializers.CharField(required=False, allow_blank=True, max_length=255)
    tags = TagsField(required=False)
    focal_point = FocalPointField(required=False, allow_null=True)
    collection = serializers.PrimaryKeyRelatedField(
        queryset=Collection.objects.all(), required=False, help_text="A collection's id (GET /collections/)"
    )
    rights = RightsSerializer(required=False, help_text="Only the keys sent change")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """A name that is not a field here is refused, never ignored: a misspelt ``alt_txt`` must
        not look saved. A read-only field of the asset (``width``, ``id``…) says so."""
        if unknown := unknown_names(self.initial_data, self.fields):
            writable = ", ".join(str(name) for name in self.fields if name != "file")
            raise serializers.ValidationError({name: [
                f"{'Read-only' if name in AssetSerializer.Meta.fields else 'Unknown field'}; writable: {writable}."
            ] for name in unknown})  # fmt: skip
        return attrs


def unknown_names(data: Any, fields: Any) -> list[str]:
    """The names in a request body (JSON, or a form's ``tags[]``, ``rights[licence]`` and
    ``rights.licence`` spellings) that are none of ``fields``."""
    names = data.keys() if hasattr(data, "keys") else ()
    bases = {re.split(r"[\[.]", name, maxsplit=1)[0] for name in names}
    return sorted(bases - set(fields) - FORM_EXTRAS)


FORM_EXTRAS = frozenset({"csrfmiddlewaretoken"})  # the browsable API's form posts it


class AssetCreateSerializer(AssetUpdateSerializer):
    # Empty files reach ingest, which answers with the stable `empty_file` code.
    file = serializers.FileField(
        allow_empty_file=True, help_text="The image (multipart). Validated by content."
    )

    def asset_fields(self) -> AssetFields:
        return fields_from(self.validated_data)


class AssetFileSerializer(serializers.Serializer):
    """A new original for an existing asset: the file itself, or a finished direct upload's id."""

    file = serializers.FileField(required=False, allow_empty_file=True,
                                 help_text="The image (multipart). Validated by content, like an upload.")  # fmt: skip
    upload = serializers.UUIDField(
        required=False, help_text="A direct upload whose file has arrived (instead of `file`)"
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        if ("file" in data) == ("upload" in data):
            raise serializers.ValidationError(
                "Send either `file` (multipart) or `upload` (a direct upload's id)."
            )
        return data


def fields_from(data: dict[str, Any]) -> AssetFields:
    point = data.get("focal_point")
    return AssetFields(
        title=data.get("title", ""), alt_text=data.get("alt_text", ""), caption=data.get("caption", ""),
        credit=data.get("credit", ""), copyright=data.get("copyright", ""), tags=data.get("tags", []),
        focal_x=point[0] if point else None, focal_y=point[1] if point else None,
        collection_id=data["collection"].pk if data.get("collection") else None, **data.get("rights", {}),
    )  # fmt: skip


class RenditionSpecSerializer(serializers.ModelSerializer[RenditionSpec]):
    """A named spec. Its size is an upper bound, never a promise: ``fill-1920x1080`` of an 800×400
    original is 711×400 (no upscaling), so the exact size of one asset's rendition is in that
    asset's ``renditions``."""

    max_width = serializers.SerializerMethodField(
        help_text="The widest output the spec can give (fill, fit, pad, width); smaller originals "
        "give less. null where only the image decides"
    )
    max_height = serializers.SerializerMethodField(help_text="As max_width, for the height")
    width = serializers.SerializerMethodField(help_text="Deprecated: the same as max_width")
    height = serializers.SerializerMethodField(help_text="Deprecated: the same as max_height")
    format = serializers.SerializerMethodField(
        help_text="jpeg, png, webp, avif, gif, auto, or null (source's)"
    )

    class Meta:
        model = RenditionSpec
        fields = ["name", "spec", "description", "eager", "max_width", "max_height", "width", "height",
                  "format"]  # fmt: skip

    def _box(self, named: RenditionSpec) -> tuple[int | None, int | None]:
        from renditions import operations as ops

        spec = parsed(named)
        if box := spec.get(ops.Fill) or spec.get(ops.Pad) or spec.get(ops.Fit):
            return box.width, box.height
        if width := spec.get(ops.Width):
            return width.value, None
        if height := spec.get(ops.Height):
            return None, height.value
        return None, None

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_max_width(self, named: RenditionSpec) -> int | None:
        return self._box(named)[0]

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_max_height(self, named: RenditionSpec) -> int | None:
        return self._box(named)[1]

    @extend_schema_field({"type": "integer", "nullable": True, "deprecated": True})
    def get_width(self, named: RenditionSpec) -> int | None:
        return self.get_max_width(named)

    @extend_schema_field({"type": "integer", "nullable": True, "deprecated": True})
    def get_height(self, named: RenditionSpec) -> int | None:
        return self.get_max_height(named)

    def get_format(self, named: RenditionSpec) -> str | None:
        return parsed(named).format_name


@extend_schema_field({"type": "string", "example": "fill-640x360|format-webp"})
class SpecField(serializers.Field):
    """One ad-hoc spec, parsed. Whatever is wrong with it (not a string, a NUL, an unknown word, a
    cap exceeded) is ``invalid_spec``, so a client tells a bad spec from a bad body by the code."""

    default_error_messages = {
        "invalid_spec": "A spec is a string such as “fill-640x360|format-webp”.",
        "unprintable": "The spec contains a control or surrogate character.",
        "empty": "The spec is empty; name at least one operation, e.g. “format-webp”.",
    }

    def run_validation(self, data: Any = empty) -> Spec:
        # Not Field's: its own checks (null, blank) would answer with codes of their own.
        return self.to_internal_value(data)

    def to_internal_value(self, data: Any) -> Spec:
        if not isinstance(data, str):
            self.fail("invalid_spec")
        # Refused before parsing: a parse error quotes the spec, and a lone surrogate in the
        # reply could not even be encoded as UTF-8.
        if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in data):
            raise serializers.ValidationError(self.error_messages["unprintable"], code="invalid_spec")
        if not data.strip():  # its URL would have an empty path segment
            raise serializers.ValidationError(self.error_messages["empty"], code="invalid_spec")
        try:
            return Spec.parse(data, spec_limits())
        except InvalidSpec as exc:
            raise serializers.ValidationError(exc.message, code="invalid_spec") from exc

    def to_representation(self, value: Spec) -> str:
        return str(value)


class UrlsRequestSerializer(serializers.Serializer):
    specs = serializers.ListField(
        child=SpecField(), min_length=1, max_length=MAX_SIGNED_URLS,
        help_text=f"1–{MAX_SIGNED_URLS} specs; each problem with one is `invalid_spec`, keyed by its index",
    )  # fmt: skip
    expires_in = serializers.IntegerField(required=False, min_value=1, max_value=MAX_URL_LIFETIME,
                                          help_text="Seconds; omit for URLs that never expire")  # fmt: skip


class SignedUrlSerializer(serializers.Serializer):
    spec = serializers.CharField(help_text="The canonical form of the requested spec")
    url = serializers.URLField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    content_type = serializers.CharField(allow_null=True)


class UploadCreateSerializer(serializers.Serializer):
    filename = serializers.CharField(allow_blank=True, trim_whitespace=False,
                                     help_text="Shown only; any name is accepted and shortened")  # fmt: skip
    content_type = serializers.CharField(
        max_length=100, help_text="An accepted image type, e.g. image/jpeg; the object is stored with it"
    )
    byte_size = serializers.IntegerField(
        min_value=0, help_text="Exactly the size of the file that will be sent"
    )

    def validate_content_type(self, value: str) -> str:
        value = value.strip().lower()
        allowed = uploads.allowed_content_types()
        if value not in allowed:
            raise serializers.ValidationError(
                f"Not an accepted image type; send one of {', '.join(allowed)}.", code="unsupported_format"
            )
        return value

    def validate_filename(self, value: str) -> str:
        return safe_display_name(value)  # the same rule as multipart uploads (assets/filenames.py)


class UploadSerializer(serializers.ModelSerializer[Upload]):
    id = serializers.CharField(read_only=True)
    asset_id = serializers.SerializerMethodField()

    class Meta:
        model = Upload
        fields = ["id", "filename", "content_type", "byte_size", "status", "error_code", "asset_id",
                  "created_at", "expires_at"]  # fmt: skip

    def get_asset_id(self, upload: Upload) -> str | None:
        return str(upload.asset_id) if upload.asset_id else None


@extend_schema_field(OpenApiTypes.OBJECT)
class UploadInstructions(serializers.Serializer):
    method = serializers.CharField()
    url = serializers.URLField()
    fields = serializers.DictField(child=serializers.CharField(), help_text="Send these form fields first")  # type: ignore[assignment]
    file_field = serializers.CharField(help_text="The form field name for the file (last)")
    expires_at = serializers.DateTimeField()


class SimilarRefSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="A near-duplicate already in the library")
    distance = serializers.IntegerField(
        help_text="Hamming distance of the 64-bit perceptual hashes (0: alike)"
    )


class AssetCreatedSerializer(AssetSerializer):
    """The 201 of an upload: the asset, and the near-duplicates already in the library."""

    similar = SimilarRefSerializer(many=True, read_only=True, help_text=(
        "Up to 10 other assets within DAM_SIMILAR_MAX_DISTANCE, closest first (docs/api.md)"))  # fmt: skip

    class Meta(AssetSerializer.Meta):
        fields = [*AssetSerializer.Meta.fields, "similar"]
        read_only_fields = fields


class SimilarQuerySerializer(serializers.Serializer):
    max_distance = serializers.IntegerField(
        required=False, min_value=0, max_value=similar.MAX_DISTANCE,
        help_text=f"Largest Hamming distance (0–{similar.MAX_DISTANCE}); default DAM_SIMILAR_MAX_DISTANCE",
    )  # fmt: skip


class SimilarResultSerializer(serializers.Serializer):
    distance = serializers.IntegerField()
    asset = AssetSerializer()
