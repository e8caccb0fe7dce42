"""Collections in the API: the ``collection`` of an asset (``{"id", "path"}``), the list filter
``collection=<id>`` (``include_descendants=true`` for everything below it too), the list of
collections, and ``collection`` accepted when creating or updating an asset."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers

from assets.models import Asset, Collection

COLLECTION_REF = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "path": {"type": "string", "example": "Library / News / Sport"},
    },
}


@extend_schema_field({"type": "integer"})
class CollectionIdFilter(filters.ModelChoiceFilter):
    """A collection by its id (an integer, as ``collection.id`` in an asset)."""


class CollectionFilterSet(filters.FilterSet):
    """Mixed into the asset list's FilterSet (api/filters.py)."""

    collection = CollectionIdFilter(
        queryset=Collection.objects.all(), method="filter_collection",
        help_text="Assets in this collection (its id; see /collections/).",
    )  # fmt: skip
    include_descendants = filters.BooleanFilter(
        method="keep", help_text="With `collection`: also the assets of every collection below it."
    )

    def filter_collection(self, queryset: QuerySet[Asset], name: str, value: Collection) -> QuerySet[Asset]:
        if self.form.cleaned_data.get("include_descendants"):
            return queryset.filter(collection__path__startswith=value.path)
        return queryset.filter(collection=value)

    def keep(self, queryset: QuerySet[Asset], name: str, value: Any) -> QuerySet[Asset]:
        return queryset  # read by filter_collection


def collection_paths(assets: list[Asset]) -> dict[int, str]:
    """The path of every asset's collection: one query for the whole page (ancestors by prefix)."""
    return Collection.paths(list({a.collection_id: a.collection for a in assets}.values()))


@extend_schema_field(COLLECTION_REF)
class CollectionRefField(serializers.Field):
    """``{"id": 3, "path": "Library / News"}``: read from the serializer context's ``collection_paths``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, asset: Asset) -> dict[str, Any]:
        paths = self.context.get("collection_paths") or collection_paths([asset])
        return {"id": asset.collection_id, "path": paths.get(asset.collection_id, "")}


class CollectionSerializer(serializers.ModelSerializer[Collection]):
    path = serializers.SerializerMethodField(help_text="Names from the root, joined by “ / ”")
    parent = serializers.SerializerMethodField(help_text="The parent's id; null for the root")  # type: ignore[assignment]

    class Meta:
        model = Collection
        fields = ["id", "name", "path", "parent", "depth"]
        # Read-only: a writable integer field's range comes from the database backend, and the
        # committed schema must read the same on SQLite and PostgreSQL.
        read_only_fields = fields

    def get_path(self, collection: Collection) -> str:
        return str(self.context["paths"][collection.pk])

    def get_parent(self, collection: Collection) -> int | None:
        return self.context["parents"].get(collection.path[: -Collection.steplen])


class CollectionList(mixins.ListModelMixin):
    """``GET /collections/``: the whole tree, depth-first (parents before their children). The view
    sets ``serializer_class = CollectionSerializer`` and no pagination (tens of folders, not thousands)."""

    def get_queryset(self) -> QuerySet[Collection]:
        return Collection.objects.all()

    def get_serializer_context(self) -> dict[str, Any]:
        context: dict[str, Any] = super().get_serializer_context()  # type: ignore[misc]
        collections = list(self.get_queryset())
        context["paths"] = Collection.paths(collections)
        context["parents"] = {c.path: c.pk for c in collections}
        return context
