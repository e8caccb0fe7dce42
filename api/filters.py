"""Query parameters of the list endpoints, validated as a Django form (django-filter).

Each parameter is a form field: a bad enum, an impossible date, a NUL byte (which PostgreSQL
refuses outright), a page size out of range are field errors, answered ``400 invalid`` with
``errors`` before any query runs. A parameter no endpoint knows is an error too, not ignored: a
typo (``ids=``) must not return the whole list. docs/api.md lists the parameters.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import django_filters as filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from api.collections import CollectionFilterSet
from assets.models import Asset, AssetQuerySet, Tag, WebhookDelivery, WebhookEndpoint
from assets.search import search as search_assets
from dam.api import NewestFirstCursorPagination

SHA256 = RegexValidator(r"^[0-9a-fA-F]{64}$", "Expected a SHA-256: 64 hexadecimal digits.")
MAX_SEARCH_LENGTH = 200  # a search term, not a document: bounds the query's words
# A bulk lookup is answered in one page, so it asks for at most what one page may hold.
MAX_BULK_IDS = NewestFirstCursorPagination.max_page_size
PLAIN_COUNT = re.compile(r"[1-9][0-9]{0,5}")
ARRAY_SUFFIX = "[]"  # how Rails and Faraday name an array in a query string: ids[]=a&ids[]=b


class CaseInsensitiveChoiceField(forms.ChoiceField):
    """``format=png`` and ``format=PNG`` alike: choices are matched after folding to their case."""

    def __init__(self, *args: Any, fold: str = "upper", **kwargs: Any) -> None:
        self.fold = fold
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return text.upper() if self.fold == "upper" else text.lower()


class CaseInsensitiveChoiceFilter(filters.ChoiceFilter):
    field_class = CaseInsensitiveChoiceField


class IntegerFilter(filters.Filter):
    field_class = forms.IntegerField


class StrictBooleanField(forms.Field):
    """``true`` or ``false`` (any case); anything else is an error, never "no filter" (Django's
    NullBooleanField reads ``used=yes please`` as absent)."""

    VALUES = {"true": True, "false": False}

    def to_python(self, value: Any) -> bool | None:
        if value is None:  # absent
            return None
        folded = str(value).strip().lower()
        if folded not in self.VALUES:
            raise forms.ValidationError("Expected true or false.", code="invalid")
        return self.VALUES[folded]


@extend_schema_field(OpenApiTypes.BOOL)
class StrictBooleanFilter(filters.Filter):
    field_class = StrictBooleanField


class ListWidget(forms.TextInput):
    """A list parameter in every spelling: ``ids=a,b``, ``ids=a&ids=b``, ``ids[]=a&ids[]=b``.
    Absent: None (no filter). Present but empty: ``""`` (an error, never "no filter")."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> str | None:
        names = [key for key in (name, name + ARRAY_SUFFIX) if key in data]
        if not names:
            return None
        return ",".join(value for key in names for value in data.getlist(key))


class UUIDListField(forms.Field):
    """Asset ids, in the order given, each once: at least one, at most ``max_items``."""

    widget = ListWidget

    def __init__(self, *args: Any, max_items: int, **kwargs: Any) -> None:
        self.max_items = max_items
        super().__init__(*args, **kwargs)

    def to_python(self, value: str | None) -> list[uuid.UUID] | None:
        if value is None:
            return None
        parts = [part.strip() for part in value.split(",")]
        if parts == [""]:
            raise forms.ValidationError("Give at least one id.", code="invalid")
        ids, bad = [], []
        for part in parts:
            try:
                ids.append(uuid.UUID(part))
            except ValueError:
                bad.append(part[:40])
        if bad:
            raise forms.ValidationError(
                f"Not asset ids (UUIDs): {', '.join(map(repr, bad[:5]))}.", code="invalid"
            )
        unique = list(dict.fromkeys(ids))
        if len(unique) > self.max_items:
            raise forms.ValidationError(f"At most {self.max_items} ids per request.", code="invalid")
        return unique


class UUIDListFilter(filters.Filter):
    field_class = UUIDListField


class AssetFilterForm(forms.Form):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # A bulk lookup is one page in the order asked: a cursor or page size would cut it.
        paging = [name for name in ("cursor", "page_size") if name in self.data]
        if cleaned.get("ids") and paging:
            self.add_error("ids", f"ids takes no {' or '.join(paging)}: its answer is one page.")
        return cleaned


class AssetFilter(CollectionFilterSet):
    tag = filters.CharFilter(method="filter_tag", max_length=Tag._meta.get_field("name").max_length,
                             help_text="Assets with this tag (case-insensitive).")  # fmt: skip
    q = filters.CharFilter(method="search", max_length=MAX_SEARCH_LENGTH,
                           help_text="Words in the title, tags, alt text, caption, credit or file name (every word must match, "
                           "the last one as a prefix), or a fragment of the file name; ranked, best first.")  # fmt: skip
    format = CaseInsensitiveChoiceFilter(choices=Asset.Format.choices, fold="upper",
                                         help_text="The original's format (case-insensitive).")  # fmt: skip
    status = CaseInsensitiveChoiceFilter(choices=Asset.Status.choices, fold="lower",
                                         help_text="processing, ready or failed.")  # fmt: skip
    checksum = filters.CharFilter(method="filter_checksum", validators=[SHA256],
                                  help_text="SHA-256 of an original: is this file already here?")  # fmt: skip
    created_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gt",
                                              help_text="ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z.")  # fmt: skip
    updated_after = filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gt",
                                              help_text="ISO 8601 date-time: what changed since a sync.")  # fmt: skip
    include_descendants = StrictBooleanFilter(  # CollectionFilterSet's, strict: ``maybe`` is an error
        method="keep", help_text="true: with `collection`, also the assets of every collection below it."
    )
    used = StrictBooleanFilter(method="filter_used",
                               help_text="true: assets the consuming app uses somewhere (see usages); false: nowhere.")  # fmt: skip
    rights = CaseInsensitiveChoiceFilter(
        choices=[(s, s) for s in ("expired", "expiring", "valid", "unknown")], fold="lower", method="filter_rights",
        help_text="The rights' status: expired, expiring (within DAM_RIGHTS_EXPIRING_DAYS), valid, unknown.",
    )  # fmt: skip
    ids = UUIDListFilter(method="filter_ids", max_items=MAX_BULK_IDS,
                         help_text=f"Bulk lookup: up to {MAX_BULK_IDS} asset ids, comma-separated (or ids[]=…); "
                         "the answer is one page in the order asked, with `missing` listing the ids not in it.")  # fmt: skip
    page_size = IntegerFilter(
        method="paginate", min_value=1, max_value=NewestFirstCursorPagination.max_page_size,
        help_text=f"Assets per page, 1–{NewestFirstCursorPagination.max_page_size} "
        f"(default {NewestFirstCursorPagination.page_size}).",
    )  # fmt: skip

    class Meta:
        model = Asset
        form = AssetFilterForm
        fields: list[str] = []  # every parameter is declared above, with its validation

    # Other spellings of declared parameters (StrictFilterBackend knows them too).
    aliases = {"ids" + ARRAY_SUFFIX: "ids"}

    @classmethod
    def requested_ids(cls, query: Any) -> list[uuid.UUID] | None:
        """The ids of a bulk lookup (already validated by the list's filtering), or None."""
        field = cls.base_filters["ids"].field
        return field.clean(field.widget.value_from_datadict(query, {}, "ids"))

    def filter_ids(self, queryset: QuerySet[Asset], name: str, value: list[uuid.UUID]) -> QuerySet[Asset]:
        return queryset.filter(pk__in=value)

    def filter_used(self, queryset: QuerySet[Asset], name: str, value: bool | None) -> QuerySet[Asset]:
        return queryset if value is None else queryset.used(value)  # type: ignore[attr-defined]

    def filter_tag(self, queryset: QuerySet[Asset], name: str, value: str) -> QuerySet[Asset]:
        # A semi-join on the through table's (tag, asset) index, not a join: no duplicate rows to
        # remove, so no DISTINCT over every column of every match before the first page. The tag's
        # id is looked up first (the small tags table), so the planner sees a constant and knows
        # from its statistics how common that tag is (walk newest first, or fetch its few assets).
        tag_id = Tag.objects.filter(name=value.strip().lower()).values_list("pk", flat=True).first()
        if tag_id is None:
            return queryset.none()
        return queryset.filter(id__in=Asset.tags.through.objects.filter(tag_id=tag_id).values("asset_id"))

    def search(self, queryset: QuerySet[Asset], name: str, value: str) -> QuerySet[Asset]:
        return search_assets(queryset, value)

    def filter_checksum(self, queryset: QuerySet[Asset], name: str, value: str) -> QuerySet[Asset]:
        return queryset.filter(sha256=value.lower())

    def filter_rights(self, queryset: QuerySet[Asset], name: str, value: str) -> QuerySet[Asset]:
        return AssetQuerySet.with_rights(queryset, value)  # type: ignore[arg-type]

    def paginate(self, queryset: QuerySet[Asset], name: str, value: int) -> QuerySet[Asset]:
        return queryset  # validated here; the pagination applies it


def page_size_filter() -> IntegerFilter:
    return IntegerFilter(
        method="paginate", min_value=1, max_value=NewestFirstCursorPagination.max_page_size,
        help_text=f"Rows per page, 1–{NewestFirstCursorPagination.max_page_size} "
        f"(default {NewestFirstCursorPagination.page_size}).",
    )  # fmt: skip


class PagedFilterSet(filters.FilterSet):
    """Only ``page_size`` (validated here; the pagination applies it) and the cursor."""

    page_size = page_size_filter()

    def paginate(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return queryset


class WebhookEndpointFilter(PagedFilterSet):
    class Meta:
        model = WebhookEndpoint
        fields: list[str] = []


class WebhookDeliveryFilter(PagedFilterSet):
    status = filters.ChoiceFilter(choices=WebhookDelivery.Status.choices, method="filter_status",
                                  help_text="pending, delivered or failed.")  # fmt: skip
    event = filters.CharFilter(max_length=32, help_text="e.g. asset.ready")

    class Meta:
        model = WebhookDelivery
        fields: list[str] = []

    def filter_status(
        self, queryset: QuerySet[WebhookDelivery], name: str, value: str
    ) -> QuerySet[WebhookDelivery]:
        undelivered = queryset.filter(delivered_at__isnull=True)
        by_status: dict[str, QuerySet[WebhookDelivery]] = {
            WebhookDelivery.Status.DELIVERED: queryset.filter(delivered_at__isnull=False),
            WebhookDelivery.Status.PENDING: undelivered.filter(next_attempt_at__isnull=False),
            WebhookDelivery.Status.FAILED: undelivered.filter(next_attempt_at__isnull=True),
        }
        return by_status[value]


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter on list actions, refusing query parameters that neither the view's FilterSet
    nor its pagination knows. A view whose other actions list too (``GET webhook-endpoints/{id}/
    deliveries/``) names a FilterSet per action in ``filterset_classes``."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        if getattr(view, "action", None) not in ("list", *getattr(view, "filterset_classes", {})):
            return queryset  # a detail lookup is by id alone
        known = self.known_parameters(view, queryset)
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            hint = f"Unknown query parameter; known: {', '.join(sorted(known)) or 'none'}."
            raise ValidationError({name: [hint] for name in unknown})
        # Not every form field refuses a NUL (a date field parses around one); no parameter has one.
        if nul := sorted(k for k, values in request.query_params.lists() if any("\x00" in v for v in values)):
            raise ValidationError({name: ["Null characters are not allowed."] for name in nul})
        if self.only_paging(request, view, queryset):
            return queryset  # nothing to filter: the FilterSet's form would only say so (~1 ms)
        return super().filter_queryset(request, queryset, view)

    def only_paging(self, request: Request, view: Any, queryset: QuerySet[Any]) -> bool:
        """Whether the query holds nothing but a cursor and a plain page size within the
        FilterSet's own bounds. Anything else, a page size it would refuse included, goes through
        the FilterSet, whose form words the error."""
        paginator = getattr(view, "paginator", None)
        filterset = self.get_filterset_class(view, queryset)
        size_filter = filterset.base_filters.get("page_size") if filterset else None
        for name, values in request.query_params.lists():
            if name == getattr(paginator, "cursor_query_param", None):
                continue
            if (name == "page_size" and size_filter is not None and len(values) == 1
                    and PLAIN_COUNT.fullmatch(values[0])
                    and size_filter.extra.get("min_value", 1) <= int(values[0]) <= size_filter.extra["max_value"]):  # fmt: skip
                continue
            return False
        return True

    def get_filterset_class(self, view: Any, queryset: QuerySet[Any] | None = None) -> Any:
        if classes := getattr(view, "filterset_classes", None):
            return classes.get(getattr(view, "action", None))
        return super().get_filterset_class(view, queryset)

    def known_parameters(self, view: Any, queryset: QuerySet[Any]) -> set[str]:
        filterset = self.get_filterset_class(view, queryset)
        names = set(filterset.base_filters) | set(getattr(filterset, "aliases", {})) if filterset else set()
        paginator = getattr(view, "paginator", None)
        for attribute in ("cursor_query_param", "page_size_query_param"):
            if parameter := getattr(paginator, attribute, None):
                names.add(parameter)
        return names
