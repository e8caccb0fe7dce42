"""Bulk actions on the library's selection. Each first shows a confirmation page saying what will
happen (to how many assets, and for a delete how many renditions and bytes go with them); only
the page's "Apply" changes anything. Metadata changes touch ``updated_at``, so an API client that
syncs with ``updated_after`` sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import ngettext
from treebeard.forms import TreeNodeChoiceField

from assets import outbox
from assets.editor import usages
from assets.ingest import parse_tags
from assets.models import Asset, AssetVersion, Collection, Tag
from renditions.models import Rendition, RenditionSpec
from renditions.tasks import regenerate_asset

APPLY = "apply"
LISTED = 12  # titles named on a confirmation page; the rest are counted


class TagsForm(forms.Form):
    tags = forms.CharField(help_text="Comma-separated, e.g. “news, homepage”.",
                           widget=forms.TextInput(attrs={"class": "vTextField", "autofocus": True}))  # fmt: skip

    def clean_tags(self) -> str:
        if not parse_tags(self.cleaned_data["tags"]):
            raise forms.ValidationError("Name at least one tag.")
        return str(self.cleaned_data["tags"])

    def names(self) -> list[str]:
        return sorted({n.lower()[:64] for n in parse_tags(self.cleaned_data["tags"])})


class MoveForm(forms.Form):
    collection = TreeNodeChoiceField(queryset=Collection.objects.all(), empty_label=None)


class RightsForm(forms.Form):
    credit = forms.CharField(
        required=False, max_length=255, widget=forms.TextInput(attrs={"class": "vTextField"})
    )
    copyright = forms.CharField(required=False, max_length=255, widget=forms.TextInput(attrs={"class": "vTextField"}),
                                help_text="A field left empty keeps each asset's own value.")  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("credit") and not data.get("copyright"):
            raise forms.ValidationError("Fill in the credit, the copyright or both.")
        return data

    def changes(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in ("credit", "copyright") if self.cleaned_data[name]}


def confirm(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[Asset], *, title: str, explain: list[str],
    form: forms.Form | None = None, apply: Callable[[], str] | None = None, button: str = "Apply",
    usage_warning: usages.UsageWarning | None = None,
) -> TemplateResponse | None:  # fmt: skip
    """The confirmation page, or (after "Apply" with a valid form) the change and a message."""
    if request.POST.get(APPLY) and (form is None or form.is_valid()):
        assert apply is not None, "an action that confirms must say how to apply"
        modeladmin.message_user(request, apply(), messages.SUCCESS)
        return None  # back to the library
    count = queryset.count()
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.model._meta, "title": title, "explain": explain, "form": form, "button": button,
        "count": count, "named": list(queryset.order_by()[:LISTED]), "more": max(0, count - LISTED),
        "action": request.POST.get("action", ""), "select_across": request.POST.get("select_across", "0"),
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME), "usage_warning": usage_warning,
    }  # fmt: skip
    return TemplateResponse(request, "admin/assets/asset/bulk_confirmation.html", context)


def _posted(request: HttpRequest, form_class: type[forms.Form]) -> forms.Form:
    return form_class(request.POST if request.POST.get(APPLY) else None)


def _assets(count: int) -> str:
    return ngettext("%(count)d asset", "%(count)d assets", count) % {"count": count}


@admin.action(description="Add tags…", permissions=["change"])
def add_tags(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Asset]) -> TemplateResponse | None:
    form = _posted(request, TagsForm)

    def apply() -> str:
        names = form.names()  # type: ignore[attr-defined]
        tags = [Tag.objects.get_or_create(name=name)[0] for name in names]
        ids = list(queryset.values_list("pk", flat=True))
        through = Asset.tags.through
        with transaction.atomic():
            through.objects.bulk_create([through(asset_id=a, tag_id=t.pk) for a in ids for t in tags],
                                        ignore_conflicts=True)  # fmt: skip
            Asset.objects.filter(pk__in=ids).update(updated_at=timezone.now())
            outbox.assets_updated(ids)
        return f"Tagged {_assets(len(ids))} with {', '.join(names)}."

    return confirm(modeladmin, request, queryset, title="Add tags", form=form, apply=apply,
                   explain=["The tags are added to each selected asset; its other tags stay."])  # fmt: skip


@admin.action(description="Remove tags…", permissions=["change"])
def remove_tags(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Asset]) -> TemplateResponse | None:
    form = _posted(request, TagsForm)

    def apply() -> str:
        names = form.names()  # type: ignore[attr-defined]
        ids = list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            removed, _ = Asset.tags.through.objects.filter(asset_id__in=ids, tag__name__in=names).delete()
            Asset.objects.filter(pk__in=ids).update(updated_at=timezone.now())
            outbox.assets_updated(ids)
        taken = ngettext("%(n)d tag taken off", "%(n)d tags taken off", removed) % {"n": removed}
        return f"Removed {', '.join(names)} from {_assets(len(ids))} ({taken})."

    return confirm(modeladmin, request, queryset, title="Remove tags", form=form, apply=apply,
                   explain=["The tags are taken off each selected asset; the tags themselves stay."])  # fmt: skip


@admin.action(description="Move to a collection…", permissions=["change"])
def move_to_collection(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[Asset]
) -> TemplateResponse | None:
    form = _posted(request, MoveForm)

    def apply() -> str:
        target = form.cleaned_data["collection"]
        ids = list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            moved = Asset.objects.filter(pk__in=ids).update(collection=target, updated_at=timezone.now())
            outbox.assets_updated(ids)
        return f"Moved {_assets(moved)} to “{target}”."

    return confirm(modeladmin, request, queryset, title="Move to a collection", form=form, apply=apply,
                   explain=["Each asset is in exactly one collection: they leave the one they are in."])  # fmt: skip


@admin.action(description="Set credit / copyright…", permissions=["change"])
def set_rights(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Asset]) -> TemplateResponse | None:
    form = _posted(request, RightsForm)

    def apply() -> str:
        changes = form.changes()  # type: ignore[attr-defined]
        ids = list(queryset.values_list("pk", flat=True))
        with transaction.atomic():
            changed = Asset.objects.filter(pk__in=ids).update(**changes, updated_at=timezone.now())
            outbox.assets_updated(ids)
        return f"Set {' and '.join(changes)} on {_assets(changed)}."

    return confirm(modeladmin, request, queryset, title="Set credit and copyright", form=form, apply=apply,
                   explain=["The same value goes on every selected asset."])  # fmt: skip


@admin.action(description="Regenerate renditions…", permissions=["change"])
def regenerate_renditions(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[Asset]
) -> TemplateResponse | None:
    names = list(RenditionSpec.objects.values_list("name", flat=True))

    def apply() -> str:
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]
        for asset_id in ids:  # one task per asset, queued after commit (in-process without a broker)
            transaction.on_commit(lambda a=asset_id: regenerate_asset.delay(a, names, force=True))  # type: ignore[misc]
        specs = ngettext("%(n)d named rendition", "%(n)d named renditions", len(names)) % {"n": len(names)}
        return f"Queued {_assets(len(ids))} for regeneration of {specs}."

    made = Rendition.objects.filter(asset__in=queryset, spec__isnull=False).count()
    return confirm(modeladmin, request, queryset, title="Regenerate renditions", apply=apply, explain=[
        f"Every named rendition ({', '.join(names) or 'none defined'}) of each selected asset is made again "
        "in the background, replacing the file behind the same URL.",
        ngettext("%(n)d named rendition file exists for them now.",
                 "%(n)d named rendition files exist for them now.", made) % {"n": made},
    ], button="Regenerate")  # fmt: skip


@admin.action(description="Delete…", permissions=["delete"])
def delete_assets(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[Asset]
) -> TemplateResponse | None:
    def apply() -> str:
        count = queryset.count()
        modeladmin.delete_queryset(request, queryset)  # files leave storage after the commit
        return f"Deleted {_assets(count)}."

    return confirm(modeladmin, request, queryset, title="Delete assets", apply=apply, button="Yes, delete",
                   usage_warning=usages.warning(queryset, name_assets=True), explain=deletion_explained(queryset))  # fmt: skip


def deletion_explained(queryset: QuerySet[Asset]) -> list[str]:
    """What deleting these assets removes, in bytes, and what it breaks (the bulk action's page and
    the asset page's own Delete say the same)."""
    renditions = Rendition.objects.filter(asset__in=queryset).aggregate(n=Count("id"), bytes=Sum("byte_size"))
    versions = AssetVersion.objects.filter(asset__in=queryset).aggregate(
        n=Count("id"), bytes=Sum("byte_size")
    )
    originals = queryset.aggregate(bytes=Sum("byte_size"))["bytes"] or 0
    total = originals + (renditions["bytes"] or 0) + (versions["bytes"] or 0)
    one = queryset.count() == 1
    return [
        f"{'The original' if one else 'The originals'} ({_size(originals)}), "
        f"{_count(renditions['n'] or 0, 'rendition file', 'rendition files')} ({_size(renditions['bytes'] or 0)}) "
        f"and {_count(versions['n'] or 0, 'kept earlier version', 'kept earlier versions')} "
        f"({_size(versions['bytes'] or 0)}) leave storage: {_size(total)} in all.",
        f"{'Its' if one else 'Their'} rendition URLs stop working (the consuming app gets an asset.deleted webhook). "
        "This cannot be undone.",
    ]


def _count(count: int, singular: str, plural: str) -> str:
    return ngettext("%(n)d " + singular, "%(n)d " + plural, count) % {"n": count}


def _size(count: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(count))


ACTIONS = [add_tags, remove_tags, move_to_collection, set_rights, regenerate_renditions, delete_assets]
