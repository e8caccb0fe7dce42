"""Admin for editors: upload one or many files, curate metadata, delete."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.templatetags.admin_list import result_headers
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext
from treebeard.forms import TreeNodeChoiceField

from assets import file_facts, outbox, search, similar
from assets.editor import actions, asset_page, library, library_rows, uploading, usages
from assets.editor.collections import CollectionAdmin, CollectionFilter
from assets.editor.paginator import EstimatedCountPaginator
from assets.editor.uploading import UploadFieldsForm
from assets.exceptions import RejectedUpload
from assets.ingest import ingest, parse_tags
from assets.models import ApiKey, Asset, Collection, RightsStatus, Tag, Upload, format_label
from assets.shown_once import shown_once
from assets.webhook_admin import WebhookDeliveryAdmin, WebhookEndpointAdmin  # noqa: F401 (registers them)
from dam.errors import DamError
from renditions import services
from renditions.specs import Spec

# Admin images are ad-hoc signed renditions, independent of the named specs editors may change.
ADMIN_THUMB = Spec.parse("fit-120x120|format-webp")
ADMIN_PREVIEW = Spec.parse("fit-640x480|format-webp")
ADMIN_PREVIEW_2X = Spec.parse("fit-1280x960|format-webp")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            raise ValidationError("Choose at least one image.", code="required")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class UploadForm(UploadFieldsForm):
    """The no-JavaScript upload: many files in one request (the browser script sends one each)."""

    # Empty files reach ingest, which refuses each by name with `empty_file` (a form error here
    # would lose the whole batch without saying which file).
    files = MultipleFileField(  # type: ignore[assignment]
        label="Images",
        help_text="Choose one or many: JPEG, PNG, GIF, WebP, AVIF or HEIC.",
        allow_empty_file=True,
    )
    field_order = ["files", "title", "alt_text", "credit", "tags", "collection"]


class AssetChangeForm(forms.ModelForm[Asset]):
    tag_names = forms.CharField(required=False, label="Tags", help_text="Comma-separated.",
                                widget=forms.TextInput(attrs={"class": "vTextField"}))  # fmt: skip
    collection = TreeNodeChoiceField(queryset=Collection.objects.all(), empty_label=None)

    class Meta:
        model = Asset
        # No `status`: it is the renditions' state, shown read-only (with "retry" when failed).
        fields = ["title", "alt_text", "caption", "collection", "credit", "copyright", "licence", "licence_detail",
                  "usage_terms", "rights_expire_on", "focal_x", "focal_y"]  # fmt: skip
        widgets = {"usage_terms": forms.Textarea(attrs={"rows": 3, "cols": 40})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["tag_names"].initial = ", ".join(t.name for t in self.instance.tags.all())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("focal_x") is None) != (data.get("focal_y") is None):
            raise ValidationError("Set both focal point coordinates, or neither.")
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    list_display = ["name", "prefix", "read_only", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["read_only"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["name", "read_only", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        """A new key has only a name and a kind; the rest is made by the server or comes later."""
        return ["name", "read_only"] if obj is None else self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Any:
        """A key's kind is fixed when it is issued and a revoked key stays revoked: only its name
        changes afterwards (turning a read-only key read-write is issuing a new key)."""
        return self.readonly_fields if obj is None else [*self.readonly_fields, "read_only", "revoked_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Superusers only: a key acts on everything the API can do, whatever its issuer may do in
        the admin (a user allowed only to add keys would otherwise hold every other right)."""
        return bool(request.user.is_superuser)

    actions = ["revoke"]

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: forms.ModelForm[ApiKey], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued, raw = ApiKey.issue(obj.name, read_only=obj.read_only)
        obj.pk, obj.prefix, obj.hashed_key = issued.pk, issued.prefix, issued.hashed_key
        request.issued_api_key = raw  # type: ignore[attr-defined]  # for response_add, this request only

    def response_add(self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None
                     ) -> HttpResponse:  # fmt: skip
        # On the page itself: a message would carry the key in the messages cookie.
        return shown_once(
            request, self, title="API key created", heading="Key (Authorization: Api-Key …)",
            secrets=[(str(obj), request.issued_api_key)],  # type: ignore[attr-defined]
            continue_url=reverse("admin:assets_apikey_changelist"),
        )  # fmt: skip

    @admin.action(description="Revoke selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        from django.utils import timezone

        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(
            request, ngettext("Revoked %(n)d key.", "Revoked %(n)d keys.", count) % {"n": count}
        )


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin[Upload]):
    list_display = ["filename", "status", "error_code", "byte_size", "asset", "created_at"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in Upload._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


admin.site.register(Collection, CollectionAdmin)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    search_fields = ["name"]


class TagFilter(admin.RelatedFieldListFilter):
    """By tags: the most used ones (a library has thousands: every one of them in the sidebar was a
    long list nobody scrolls and most of the page's time), the selected one, and "No tags" in
    words (Django shows the empty value, "-", there). Any tag is found with the search box."""

    LIMIT = 20
    CACHE_KEY = "dam:library:top-tags"
    CACHE_SECONDS = 300  # counting uses per tag reads the whole tag table: once per 5 minutes

    capped = False  # more tags are in use than the list shows
    spawns_duplicates = False  # see queryset: LibraryChangeList adds no DISTINCT for it

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.empty_value_display = mark_safe("No tags")  # a constant
        if self.capped:
            self.title = f"tags (the {self.LIMIT} most used)"

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        cached: tuple[list[tuple[int, str]], bool] | None = cache.get(self.CACHE_KEY)
        if cached is None:
            counted = Tag.objects.annotate(uses=Count("assets")).filter(uses__gt=0).order_by("-uses", "name")
            found = list(counted.values_list("pk", "name")[: self.LIMIT + 1])
            cached = (found[: self.LIMIT], len(found) > self.LIMIT)
            cache.set(self.CACHE_KEY, cached, self.CACHE_SECONDS)
        top, self.capped = cached
        chosen = {str(value) for value in self.lookup_val or []}
        missing = chosen - {str(pk) for pk, _ in top}
        extra = list(Tag.objects.filter(pk__in=[v for v in missing if v.isdigit()]).values_list("pk", "name"))
        return sorted([*top, *extra], key=lambda choice: choice[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """By a subquery on the (tag, asset) index, never a join: a join repeats an asset once per
        tag, and the changelist would then add DISTINCT, which sorts every tagged asset's whole
        row (~90 ms of SQL for a tag on 10,000 of 100,000 assets, where this page takes ~3 ms)."""
        tagged = Asset.tags.through.objects.values("asset_id")
        # Lists of values, as the admin prepared them from the query string.
        chosen: Any = self.used_parameters.get(self.lookup_kwarg)
        untagged: Any = self.used_parameters.get(self.lookup_kwarg_isnull)
        try:
            if chosen:
                queryset = queryset.filter(pk__in=tagged.filter(tag_id__in=chosen))
            if untagged:  # [True] or [False], as the admin prepared "True"/"False"
                queryset = queryset.exclude(pk__in=tagged) if untagged[-1] else queryset.filter(pk__in=tagged)
        except (ValueError, ValidationError) as exc:  # a tag id that is no number
            raise IncorrectLookupParameters(exc) from exc
        return queryset


class RightsFilter(admin.SimpleListFilter):
    title = "rights"
    parameter_name = "rights"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("expired", "Expired"), ("expiring", f"Expiring within {settings.DAM_RIGHTS_EXPIRING_DAYS} days"),
                ("valid", "Valid"), ("no_expiry", "No expiry")]  # fmt: skip

    def queryset(self, request: HttpRequest, queryset: QuerySet[Asset]) -> QuerySet[Asset]:
        if self.value() in {"expired", "expiring", "valid", "no_expiry"}:
            return queryset.with_rights(self.value())  # type: ignore[attr-defined]
        return queryset


RIGHTS_WORDS = {RightsStatus.EXPIRED: ("rights expired", "The rights to this image ended on {}: do not use it."),
                RightsStatus.EXPIRING: ("rights expiring", "The rights to this image end on {}.")}  # fmt: skip


def rights_badge(obj: Asset, *, long: bool = False) -> str:
    """A badge for expired or expiring rights (the library's cards and table, the asset page)."""
    status = obj.rights_status
    if status not in RIGHTS_WORDS:
        return ""
    short, sentence = RIGHTS_WORDS[status]
    text = sentence.format(obj.rights_expire_on.isoformat()) if long and obj.rights_expire_on else short
    return format_html(
        '<span class="rights-badge is-{}{}">{}</span>', status.value, " is-long" if long else "", text
    )


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin[Asset]):
    form = AssetChangeForm
    list_display = [
        "thumbnail",
        "title_column",
        "format_column",
        "dimensions",
        "size_column",
        "collection",
        "created_at",
    ]
    list_filter = [CollectionFilter, "format", "status", RightsFilter, "licence", ("tags", TagFilter),
                   ("created_at", admin.DateFieldListFilter)]  # fmt: skip
    list_display_links = ["thumbnail", "title_column"]
    search_fields = ["title", "alt_text", "tags__name", "original_filename"]  # see get_search_results
    search_help_text = (
        "Title, tags, alt text, caption, credit or file name; every word must match, best matches first."
    )
    list_per_page = 48  # a multiple of the grid's 2, 3, 4, 6 and 8 columns: no half-empty last row
    # No COUNT(*) of the whole table per page (see EstimatedCountPaginator).
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice is a COUNT(*) each
    actions = actions.ACTIONS
    readonly_fields = [
        "focal_picker",
        "status_panel",
        "rights_panel",
        "uploaded_by",
        "created_at",
        "updated_at",
    ]
    change_form_template = "admin/assets/asset/change_form.html"
    # The renditions, the file (replace, versions) and EXIF follow as panels (change_form.html).
    fieldsets = [
        (None, {"fields": ["title", "alt_text", "caption", "tag_names", "collection"]}),
        ("Rights", {"fields": ["rights_panel", "credit", "copyright", "licence", "licence_detail", "usage_terms",
                               "rights_expire_on"]}),
        ("Focal point", {"fields": ["focal_picker", ("focal_x", "focal_y")],
                         "description": "Click the picture where crops should centre (a face, the subject)."}),
        ("State", {"fields": ["status_panel", "uploaded_by", "created_at", "updated_at"]}),
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Asset]:
        return (
            super().get_queryset(request).select_related("uploaded_by", "collection").prefetch_related("tags")
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return library.LibraryChangeList

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        found = super().get_actions(request)
        found.pop("delete_selected", None)  # ours names the renditions and bytes that go with them
        return found

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Asset], search_term: str
    ) -> tuple[QuerySet[Asset], bool]:
        found = library.search(queryset, search_term, sorted_by_column=ORDER_VAR in request.GET)
        return found, False  # no duplicates: tags match by a subquery, not a join

    @admin.display(description="")
    def thumbnail(self, obj: Asset) -> str:
        return thumbnail_html(services.adhoc_url(obj, ADMIN_THUMB), size=60)

    @admin.display(description="Format", ordering="format")
    def format_column(self, obj: Asset) -> str:
        return format_label(obj.format)

    @admin.display(description="Picture")
    def focal_picker(self, obj: Asset) -> str:
        """The preview to click; asset_page.js moves the marker and fills the two fields. The
        automatic point (found in the image at ingest) shows as a dashed marker until one is set."""
        auto = (obj.auto_focal_x, obj.auto_focal_y) if settings.DAM_AUTO_FOCAL_POINT else (None, None)
        return format_html(
            '<div id="focal-picker" class="focal-picker"><img id="focal-image" src="{}" srcset="{} 1x, {} 2x" alt="">'
            '<span id="focal-marker" class="focal-marker" hidden></span>'
            '<span id="focal-auto-marker" class="focal-marker is-auto" data-x="{}" data-y="{}" hidden>'
            '<span class="focal-auto-label">automatic</span></span></div>'
            '<p><button type="button" id="focal-clear" class="button">Clear the focal point</button> '
            '<span class="quiet" id="focal-auto-help"{}>No point set: crops centre on the automatic one (dashed).</span></p>',
            services.adhoc_url(obj, ADMIN_PREVIEW), services.adhoc_url(obj, ADMIN_PREVIEW),
            services.adhoc_url(obj, ADMIN_PREVIEW_2X), "" if auto[0] is None else auto[0],
            "" if auto[1] is None else auto[1], mark_safe(" hidden") if auto[0] is None else "",
        )  # fmt: skip

    @admin.display(description="Rights status")
    def rights_panel(self, obj: Asset) -> str:
        if badge := rights_badge(obj, long=True):
            return badge
        if obj.rights_status == RightsStatus.VALID:
            return "Valid"
        return "Unknown: no licence or expiry date yet"

    @admin.display(description="Processing")
    def status_panel(self, obj: Asset) -> str:
        badge = format_html('<span class="status-badge is-{}">{}</span>', obj.status, obj.status)
        if obj.status != Asset.Status.FAILED:
            return badge
        return format_html(
            '{} <span class="status-reason">{}</span> '
            '<button type="submit" form="retry-form" class="button" id="retry">Retry</button>',
            badge, obj.failure_reason,
        )  # fmt: skip

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
                           ) -> HttpResponse:  # fmt: skip
        obj = context.get("original")
        if obj is not None:
            context.update(
                rendition_cards=asset_page.rendition_cards(obj, request), exif_rows=asset_page.exif_rows(obj),
                similar_assets=asset_page.similar_assets(obj),
                versions=list(obj.versions.select_related("replaced_by", "uploaded_by")),
                format_label=format_label(obj.format), action_urls=self._action_urls(obj),
                usages=usages.of_asset(obj),
                embedded_rows=file_facts.describe(obj.embedded), rights_status=obj.rights_status,
            )  # fmt: skip
        return super().render_change_form(request, context, *args, **kwargs)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        """Django's confirmation, warned first when the consuming app uses the asset somewhere."""
        context = dict(extra_context or {})
        if request.method != "POST" and (asset := self.get_object(request, object_id)) is not None:
            context["usage_warning"] = usages.warning([asset.pk])
            context["explain"] = actions.deletion_explained(Asset.objects.filter(pk=asset.pk))
        return super().delete_view(request, object_id, context)

    def _action_urls(self, obj: Asset) -> dict[str, str]:
        return {name: reverse(f"admin:assets_asset_{name}", args=[obj.pk]) for name in asset_page.ACTIONS}

    def asset_action(self, request: HttpRequest, object_id: str, name: str) -> HttpResponse:
        asset = self.get_object(request, object_id)
        if asset is None:
            return HttpResponseRedirect(reverse("admin:assets_asset_changelist"))
        if request.method != "POST" or not self.has_change_permission(request, asset):
            return HttpResponseRedirect(reverse("admin:assets_asset_change", args=[asset.pk]))
        return asset_page.ACTIONS[name](request, asset)

    @admin.display(description="Title", ordering="title")
    def title_column(self, obj: Asset) -> str:
        return str(obj)

    @admin.display(description="Size")
    def dimensions(self, obj: Asset) -> str:
        return f"{obj.width}×{obj.height}"

    @admin.display(description="Bytes", ordering="byte_size")
    def size_column(self, obj: Asset) -> str:
        return f"{obj.byte_size / 1024:,.0f} KB"

    def save_model(
        self, request: HttpRequest, obj: Asset, form: forms.ModelForm[Asset], change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        obj.tags.set(
            [
                Tag.objects.get_or_create(name=n.lower()[:64])[0]
                for n in parse_tags(form.cleaned_data["tag_names"])
            ]
        )
        if change:  # in the change view's transaction, like the edit itself
            outbox.asset_event("asset.updated", obj)

    # --- upload: the add page is the (multi-)upload page -------------------------------------

    def get_urls(self) -> list[URLPattern]:
        def adding(view: Any) -> Any:
            """Admin login, then the add permission, for the JSON endpoints."""

            def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                if not self.has_add_permission(request):
                    return uploading.refusal(
                        DamError("You may not add assets.", code="permission_denied", status=403)
                    )
                return view(request, *args, **kwargs)

            return self.admin_site.admin_view(guarded)

        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="assets_asset_upload"),
            path("upload/check/", adding(uploading.check), name="assets_asset_upload_check"),
            path("upload/start/", adding(uploading.start), name="assets_asset_upload_start"),
            path(
                "upload/<uuid:upload_id>/complete/",
                adding(uploading.complete),
                name="assets_asset_upload_complete",
            ),
            *(
                path(
                    f"<path:object_id>/{name.replace('_', '-')}/",
                    self.admin_site.admin_view(self.asset_action),
                    {"name": name},
                    name=f"assets_asset_{name}",
                )
                for name in asset_page.ACTIONS
            ),
            *super().get_urls(),
        ]

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:assets_asset_upload"))

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        """Not wrapped in a transaction (unlike the add view): ingest writes to storage first."""
        if not self.has_add_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        form = UploadForm(request.POST or None, request.FILES or None, initial=self._upload_initial(request))
        rejected: list[tuple[str, str]] = []
        if request.method == "POST" and form.is_valid():
            created = []
            for upload in form.cleaned_data["files"]:
                try:
                    created.append(
                        ingest(
                            upload,
                            filename=upload.name,
                            fields=form.fields_for_ingest(),
                            uploaded_by=request.user,
                        )
                    )
                except RejectedUpload as exc:
                    rejected.append((upload.name, f"{exc.message} ({exc.code})"))
            if created:
                uploaded = ngettext("Uploaded %(n)d image.", "Uploaded %(n)d images.", len(created))
                self.message_user(request, uploaded % {"n": len(created)}, messages.SUCCESS)
                self._warn_duplicates(request, created)
            if not rejected:
                if len(created) == 1:
                    return HttpResponseRedirect(reverse("admin:assets_asset_change", args=[created[0].pk]))
                return HttpResponseRedirect(reverse("admin:assets_asset_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Upload images",
            "form": form,
            "rejected": rejected,
            "has_view_permission": self.has_view_permission(request),
            "uploader": uploading.uploader_config(request),
        }
        return TemplateResponse(
            request, "admin/assets/asset/upload.html", context, status=400 if rejected or form.errors else 200
        )

    def _library_uploader(self, request: HttpRequest) -> dict[str, Any] | None:
        """The drop zone adds to the collection the library is showing (else the root)."""
        if not self.has_add_permission(request):
            return None
        config = uploading.uploader_config(request)
        value = request.GET.get(CollectionFilter.parameter_name, "")
        shown = Collection.objects.filter(pk=int(value)).first() if value.isdigit() else None
        if shown is not None:
            config.update(collection=shown.pk, collectionName=shown.name)
        return config

    def _upload_url(self, request: HttpRequest) -> str:
        if not self.has_add_permission(request):
            return ""
        url = reverse("admin:assets_asset_upload")
        value = request.GET.get(CollectionFilter.parameter_name, "")
        return f"{url}?collection={value}" if value.isdigit() else url

    def _upload_initial(self, request: HttpRequest) -> dict[str, Any]:
        collection = request.GET.get("collection", "")
        return {"collection": collection} if collection.isdigit() else {}

    def _warn_duplicates(self, request: HttpRequest, created: list[Asset]) -> None:
        for asset in created:
            twin = (
                Asset.objects.filter(sha256=asset.sha256).exclude(pk=asset.pk).order_by("created_at").first()
            )
            if twin is not None:
                self.message_user(request, format_html(
                    "“{}” is already in the library as <a href=\"{}\">{}</a>; both are kept (delete one if unwanted).",
                    asset.original_filename, reverse("admin:assets_asset_change", args=[twin.pk]), twin,
                ), messages.WARNING)  # fmt: skip
            # As the drop zone says it; the other files of this batch are not "already" there.
            batch = {other.pk for other in created}
            looks = uploading.lookalike(asset, twin, besides=batch)
            if looks is not None:
                self.message_user(request, format_html(
                    "“{}” looks like <a href=\"{}\">{}</a> ({}), already in the library.",
                    asset.original_filename, looks["url"], looks["title"], similar.likeness(looks["distance"]),
                ), messages.INFO)  # fmt: skip

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if redirect := library.remember_view(request):
            return redirect
        view = library.chosen_view(request)
        extra_context = {
            **(extra_context or {}),
            "upload_url": self._upload_url(request),
            "title": "Library",
            "library_view": view,
            "view_urls": library.toggle_urls(request),
            "uploader": self._library_uploader(request),
        }
        with search.shared_estimates():  # the search's and the paginator's estimate: one EXPLAIN
            response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None) or {}
        if "cl" in context:
            context["cards"] = library.cards(context["cl"].result_list)
            rows = library_rows.grid if view == "grid" else library_rows.table
            context["card_rows"] = rows(context["cards"], selectable=bool(context.get("action_form")))
            context["result_headers"] = [
                h for h in result_headers(context["cl"]) if "action-checkbox" not in str(h["class_attrib"])
            ]
        return response


def thumbnail_html(url: str | None, *, size: int = 80) -> str:
    if not url:
        return "—"
    return format_html(
        '<img src="{}" alt="" loading="lazy" style="max-width:{}px;max-height:{}px">', url, size, size
    )
