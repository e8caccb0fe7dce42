"""Collections in the admin: the tree (django-treebeard's TreeAdmin: expand, drag to move), create,
rename and move with its form, and a delete that only ever leaves assets in a collection.

There is one root ("Library", every asset's default): it can be renamed, never deleted, and no
collection is made beside it. The library page's sidebar filters by the same tree.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import ngettext
from treebeard.admin import TreeAdmin
from treebeard.forms import MoveNodeForm, movenodeform_factory

from assets.models import Asset, Collection


class CollectionForm(MoveNodeForm):
    """A collection's name and where it goes, in an editor's words: "Inside" or "Next to" a
    collection (a new one: inside the library). There is one library: nothing goes beside it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        where, ref = self.fields["treebeard_position"], self.fields["treebeard_ref_node"]
        if self.instance.pk is not None and self.instance.is_root():
            where.widget, ref.widget = forms.HiddenInput(), forms.HiddenInput()  # it stays put
            return
        where.label, ref.label = "Where", "Collection"
        where.choices = [("sorted-child", "Inside"), ("sorted-sibling", "Next to")]
        ref.empty_label = None  # treebeard's "-- root --": one library, nothing beside it
        ref.required = True
        if self.instance.pk is None and not self.is_bound:
            self.initial.setdefault("treebeard_ref_node", Collection.default().pk)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parent, position = data.get("treebeard_ref_node"), data.get("treebeard_position")
        is_root = self.instance.pk is not None and self.instance.is_root()
        if not is_root and (parent is None or (position == "sorted-sibling" and parent.is_root())):
            raise forms.ValidationError("Put it inside the library (“Child of” a collection).")
        if is_root and parent is not None:
            raise forms.ValidationError("The library's root stays where it is.")
        siblings = self._siblings(parent, position)
        name = data.get("name", "")
        if name and siblings.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"There is already a collection named “{name}” there.")
        return data

    def _siblings(self, parent: Collection | None, position: str | None) -> QuerySet[Collection]:
        if parent is None:
            return Collection.objects.none()
        if position == "sorted-sibling":
            return Collection.objects.get_siblings(parent)
        return Collection.objects.get_children(parent)


class CollectionAdmin(TreeAdmin):
    form = movenodeform_factory(Collection, form=CollectionForm, fields=["name"])
    list_display = ["name", "assets_column"]
    search_fields = ["name"]
    change_list_template = "admin/assets/collection/change_list.html"  # treebeard's, the library opened

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The count under the list is of every collection (treebeard's is of the top level: 1)."""
        context = {**(extra_context or {}), "collections_total": Collection.objects.count()}
        return super().changelist_view(request, context)

    actions = None  # the stock bulk delete would hit PROTECT; delete one at a time, below

    def get_queryset(self, request: HttpRequest) -> QuerySet[Collection]:
        return super().get_queryset(request).annotate(asset_count=Count("assets"))

    @admin.display(description="Assets (directly in it)")
    def assets_column(self, collection: Collection) -> str:
        url = reverse("admin:assets_asset_changelist") + f"?collection={collection.pk}"
        return format_html('<a href="{}">{}</a>', url, getattr(collection, "asset_count", 0))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj is not None and obj.is_root())

    def move_node(self, request: HttpRequest) -> HttpResponse:
        """Dragging in the tree: never beside the root (there is one library)."""
        target = Collection.objects.filter(pk=request.POST.get("target") or 0).first()
        if target is not None and target.is_root() and request.POST.get("relation") == "sibling":
            messages.error(request, "Collections go inside the library, not beside it.")
            return HttpResponseBadRequest("Collections go inside the library.")
        response: HttpResponse = super().move_node(request)
        return response

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        """Delete a collection and what is below it; their assets move to its parent."""
        collection = self.get_object(request, unquote(object_id))
        changelist = reverse("admin:assets_collection_changelist")
        if collection is None or not self.has_delete_permission(request, collection):
            self.message_user(request, "The library's root cannot be deleted.", messages.ERROR)
            return HttpResponseRedirect(changelist)
        parent = Collection.objects.get_parent(collection)
        subtree = collection.subtree()
        assets = Asset.objects.filter(collection__in=subtree)
        if request.method == "POST":
            with transaction.atomic():
                moved = assets.update(collection=parent)
                collection.delete()  # treebeard deletes the sub-collections with it
            moved_text = ngettext("%(n)d asset moved", "%(n)d assets moved", moved) % {"n": moved}
            self.message_user(request, f"Deleted “{collection}”; {moved_text} to “{parent}”.")
            return HttpResponseRedirect(changelist)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta, "title": f"Delete “{collection}”?", "object": collection,
            "parent": parent, "asset_count": assets.count(),
            "below": list(subtree.exclude(pk=collection.pk)),
        }  # fmt: skip
        return TemplateResponse(request, "admin/assets/collection/delete_confirmation.html", context)


class CollectionFilter(admin.SimpleListFilter):
    """The library's sidebar: the tree of collections; one of them, or it and all below it."""

    title = "collection"
    parameter_name = "collection"
    descendants_parameter = "subcollections"
    template = "admin/assets/asset/collection_filter.html"

    def __init__(self, request: HttpRequest, params: dict[str, Any], model: Any, model_admin: Any) -> None:
        descendants = params.pop(self.descendants_parameter, None)
        self.descendants = (
            bool(descendants) and (descendants[-1] if isinstance(descendants, list) else descendants) == "1"
        )
        super().__init__(request, params, model, model_admin)
        if descendants is not None:
            self.used_parameters[self.descendants_parameter] = "1" if self.descendants else "0"

    def expected_parameters(self) -> list[str | None]:
        return [self.parameter_name, self.descendants_parameter]

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: Any) -> Any:
        self.with_subcollections_url = changelist.get_query_string({self.descendants_parameter: "1"})
        self.without_subcollections_url = changelist.get_query_string(remove=[self.descendants_parameter])
        yield from super().choices(changelist)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[Any, Any]]:
        return [(str(c.pk), c) for c in Collection.objects.all()]  # depth-first (ordered by path)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value or not value.isdigit():
            return queryset
        chosen = Collection.objects.filter(pk=int(value)).first()
        if chosen is None:
            return queryset.none()
        if self.descendants:
            return queryset.filter(Q(collection__path__startswith=chosen.path))
        return queryset.filter(collection=chosen)

    def chosen(self) -> Collection | None:
        value = self.value()
        return Collection.objects.filter(pk=int(value)).first() if value and value.isdigit() else None
