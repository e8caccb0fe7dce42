"""Admin for rendition specs (editors) and generated renditions (read-only, for operators)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.urls import URLPattern, path, reverse

from assets.models import format_label
from renditions import spec_check
from renditions.models import Rendition, RenditionSpec


class RenditionSpecForm(forms.ModelForm[RenditionSpec]):
    class Meta:
        model = RenditionSpec
        fields = ["name", "spec", "description", "eager"]
        widgets = {
            "spec": forms.TextInput(
                attrs={"class": "vTextField", "autocomplete": "off", "spellcheck": "false"}
            )
        }


@admin.register(RenditionSpec)
class RenditionSpecAdmin(admin.ModelAdmin[RenditionSpec]):
    form = RenditionSpecForm
    list_display = ["name", "spec", "eager", "made_column", "bytes_column", "description", "updated_at"]
    list_editable = ["eager"]
    search_fields = ["name", "spec", "description"]
    fields = ["name", "spec", "description", "eager"]
    change_form_template = "admin/renditions/renditionspec/change_form.html"

    def get_readonly_fields(self, request: HttpRequest, obj: RenditionSpec | None = None) -> list[str]:
        return []

    def get_queryset(self, request: HttpRequest) -> QuerySet[RenditionSpec]:
        return (
            super()
            .get_queryset(request)
            .annotate(made=Count("renditions"), made_bytes=Sum("renditions__byte_size"))
        )

    @admin.display(description="Renditions made", ordering="made")
    def made_column(self, spec: RenditionSpec) -> int:
        return int(getattr(spec, "made", 0))

    @admin.display(description="Their bytes", ordering="made_bytes")
    def bytes_column(self, spec: RenditionSpec) -> str:
        return str(filesizeformat(getattr(spec, "made_bytes", None) or 0))

    def get_urls(self) -> list[URLPattern]:
        check = path(
            "check/", self.admin_site.admin_view(self.check_view), name="renditions_renditionspec_check"
        )
        return [check, *super().get_urls()]

    def check_view(self, request: HttpRequest) -> HttpResponse:
        """For those who may write specs; the preview (an asset, a signed URL that renders) only
        for those who may also see assets."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            return JsonResponse(
                {"code": "permission_denied", "message": "You may not edit specs."}, status=403
            )
        return spec_check.check(request, preview=spec_check.may_preview(request))

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
                           ) -> HttpResponse:  # fmt: skip
        # The live check, for those who may write specs (a read-only page has nothing to type in);
        # its preview, for those who may also see assets.
        may_check = self.has_add_permission(request) or self.has_change_permission(request)
        preview = may_check and spec_check.may_preview(request)
        context.update(check_url=reverse("admin:renditions_renditionspec_check") if may_check else "",
                       samples=spec_check.samples() if preview else [], preview_allowed=preview)  # fmt: skip
        return super().render_change_form(request, context, *args, **kwargs)


@admin.register(Rendition)
class RenditionAdmin(admin.ModelAdmin[Rendition]):
    list_display = [
        "asset",
        "spec",
        "key",
        "width",
        "height",
        "format_column",
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

    @admin.display(description="Format", ordering="format")
    def format_column(self, rendition: Rendition) -> str:
        return format_label(rendition.format)
