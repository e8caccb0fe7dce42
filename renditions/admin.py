"""Admin for rendition specs (editors) and generated renditions (read-only, for operators)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from renditions.models import Rendition, RenditionSpec


@admin.register(RenditionSpec)
class RenditionSpecAdmin(admin.ModelAdmin[RenditionSpec]):
    list_display = ["name", "spec", "eager", "description", "updated_at"]
    list_editable = ["eager"]
    search_fields = ["name", "spec", "description"]
    fields = ["name", "spec", "description", "eager"]

    def get_readonly_fields(self, request: HttpRequest, obj: RenditionSpec | None = None) -> list[str]:
        return []


@admin.register(Rendition)
class RenditionAdmin(admin.ModelAdmin[Rendition]):
    list_display = [
        "asset",
        "spec",
        "key",
        "width",
        "height",
        "format",
        "byte_size",
        "render_ms",
        "created_at",
    ]
    list_filter = ["format", "spec"]
    search_fields = ["asset__title", "key", "spec_string"]
    list_select_related = ["asset", "spec"]
    readonly_fields = [f.name for f in Rendition._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Rendition | None = None) -> bool:
        return False
