"""The library page (the Assets changelist): a grid of cards by default, or the table.

Both views render rows from the same ``Card`` values: Django's per-cell machinery
(``items_for_result``) cost more than the queries at 48 rows a page; the table keeps the admin's
sortable headers (``result_headers``). The rows themselves are HTML built in Python
(``library_rows``), the page's queryset reads only the columns a card shows (``page_rows``), and
what is the same for every card (the change URL's pattern, today's rights window) is worked out
once per page.

The choice is remembered in the session; ``?view=grid|table`` changes it and redirects to the
same list without the parameter (the changelist refuses parameters it does not know).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlencode

from django.contrib.admin import FieldListFilter
from django.contrib.admin.utils import lookup_spawns_duplicates
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.db import connections
from django.db.models import Count, F, QuerySet, Window
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from assets.editor import usages
from assets.models import Asset, RightsStatus, format_label, rights_status, rights_window
from assets.search import RANK
from assets.search import ordering as search_ordering
from assets.search import search as search_assets
from dam.memo import SettingsMemo
from renditions import services
from renditions.specs import Spec

VIEWS = ("grid", "table")
VIEW_PARAM = "view"
SESSION_KEY = "dam.library.view"
# Cards are at most ~240 CSS px wide: one image per pixel density. Ad-hoc (signed) specs, not named
# ones, so an editor deleting or changing the `thumb` spec never breaks the library.
CARD_1X = Spec.parse("fit-240x240|format-webp")
CARD_2X = Spec.parse("fit-480x480|format-webp")


def search(queryset: QuerySet[Asset], term: str, *, sorted_by_column: bool = False) -> QuerySet[Asset]:
    """The search box: the same search as the API's ``q`` (assets/search.py), best first unless
    the editor sorted by a column (the changelist orders before it searches)."""
    found = search_assets(queryset, term)
    if not sorted_by_column and (ranked := search_ordering(found)):
        return found.order_by(*ranked)
    return found


def chosen_view(request: HttpRequest) -> str:
    view = request.session.get(SESSION_KEY, VIEWS[0])
    return view if view in VIEWS else VIEWS[0]


def remember_view(request: HttpRequest) -> HttpResponseRedirect | None:
    """Store ``?view=`` and redirect to the list without it; None when it is absent."""
    if VIEW_PARAM not in request.GET:
        return None
    if (view := request.GET[VIEW_PARAM]) in VIEWS:
        request.session[SESSION_KEY] = view
    rest = request.GET.copy()
    rest.pop(VIEW_PARAM)
    return HttpResponseRedirect(f"{request.path}?{rest.urlencode()}" if rest else request.path)


def toggle_urls(request: HttpRequest) -> dict[str, str]:
    params = request.GET.copy()
    return {view: f"{request.path}?{urlencode({**params.dict(), VIEW_PARAM: view})}" for view in VIEWS}


@dataclass(frozen=True)
class Card:
    pk: str
    title: str
    change_url: str
    src: str
    srcset: str
    format: str
    width: int
    height: int
    status: str
    failure_reason: str
    tags: list[str]
    collection: str
    byte_size: int
    created_at: datetime
    usage_count: int = 0  # places the consuming app uses it ("used ×N")
    rights: str = ""  # "expired" or "expiring" (a badge), else ""
    rights_expire_on: date | None = None


# What a card or a table row reads of an asset (``str(asset)``, the rendition URLs' checksum and
# focal point, the rights status included): the page's query skips the rest (EXIF, embedded
# metadata, the search document, …), and the uploader it never shows.
CARD_FIELDS = (
    "id", "title", "original_filename", "format", "width", "height", "byte_size", "sha256", "status",
    "failure_reason", "created_at", "licence", "rights_expire_on", "focal_x", "focal_y", "auto_focal_x",
    "auto_focal_y",
)  # fmt: skip
COLLECTION_NAME = "collection_name"
PK_PLACEHOLDER = "__pk__"


def page_rows(queryset: QuerySet[Asset]) -> QuerySet[Asset]:
    """The changelist's page of assets as the cards read them: ``CARD_FIELDS`` and the collection's
    name (a column, not a Collection built per row); ``cards`` reads the tags. Only the page's rows:
    the change view and the actions keep the whole model."""
    return (
        queryset.select_related(None)
        .prefetch_related(None)
        .only(*CARD_FIELDS)
        .annotate(**{COLLECTION_NAME: F("collection__name")})
    )


class LibraryChangeList(ChangeList):
    """The changelist whose page of results is ``page_rows`` (its queryset, counted and searched
    before, is the whole model's: the actions act on it)."""

    def get_results(self, request: HttpRequest) -> None:
        if not self._ranked_results(request):
            super().get_results(request)
            self.result_list = page_rows(self.result_list)

    def _ranked_results(self, request: HttpRequest) -> bool:
        """A ranked search on PostgreSQL: the page and the number of matches in one query.

        Ranking sorts every match (at most about ``RANK_LIMIT``) whichever page is shown, so the
        count comes with the page as ``COUNT(*) OVER ()``, where Django's changelist would first
        count the matches (reading each one again) and then rank them. False, and nothing done,
        for anything else, or a page past the last (Django's own path then says so)."""
        ordering = self.queryset.query.order_by
        if (not ordering or ordering[0] != f"-{RANK}" or self.show_all
                or connections[self.queryset.db].vendor != "postgresql"):  # fmt: skip
            return False
        start = (self.page_num - 1) * self.list_per_page
        if start < 0:
            return False
        rows = list(
            page_rows(self.queryset).annotate(matches=Window(Count("pk")))[start : start + self.list_per_page]
        )
        if not rows:
            return False
        paginator = self.model_admin.get_paginator(request, self.queryset, self.list_per_page)
        paginator.__dict__["count"] = count = rows[0].matches  # the cached_property, known
        self.result_count, self.full_result_count = count, None
        self.show_full_result_count = self.model_admin.show_full_result_count
        self.show_admin_actions = True
        self.result_list = rows  # a page of rows, as cards() reads them
        self.can_show_all = count <= self.list_max_show_all
        self.multi_page = count > self.list_per_page
        self.paginator = paginator
        return True

    def get_ordering_field_columns(self) -> dict[int, Literal["desc", "asc"]]:
        """The table's headers mark no column sorted while a search lists its matches best first:
        the order is the rank, not the default "Created at" the headers would otherwise show."""
        if ORDER_VAR not in self.params and self.queryset.query.order_by[:1] == (f"-{RANK}",):
            return {}
        return super().get_ordering_field_columns()

    def get_filters(self, request: HttpRequest) -> Any:
        """Django makes the list DISTINCT whenever a filter's field is many-to-many; not for a
        filter that says it filters without a join (``spawns_duplicates = False``: the tags')."""
        specs, has_filters, remaining, _, active = super().get_filters(request)
        duplicates = any(lookup_spawns_duplicates(self.lookup_opts, key) for key in remaining) or any(
            spec.used_parameters and getattr(spec, "spawns_duplicates", True)
            and lookup_spawns_duplicates(self.lookup_opts, spec.field_path)
            for spec in specs if isinstance(spec, FieldListFilter)
        )  # fmt: skip
        return specs, has_filters, remaining, duplicates, active


def cards(assets: Iterable[Asset]) -> list[Card]:
    """What a card shows, from rows ``page_rows`` fetched, with the page's tags and usage counts
    (a query each): no storage call."""
    assets = list(assets)
    used = usages.counts(asset.pk for asset in assets)
    tags = _tag_names(asset.pk for asset in assets)
    change_url = reverse("admin:assets_asset_change", args=[PK_PLACEHOLDER])
    today, window = rights_window()
    return [
        _card(asset, change_url.replace(PK_PLACEHOLDER, str(asset.pk)), _rights(asset, today, window),
              used.get(asset.pk, 0), tags.get(asset.pk, []))
        for asset in assets
    ]  # fmt: skip


def _tag_names(asset_ids: Iterable[Any]) -> dict[Any, list[str]]:
    """``{asset id: its tags' names, by name}`` for a page of assets, in one query (names, not
    Tag objects: a prefetch built one per tag)."""
    pairs = Asset.tags.through.objects.filter(asset_id__in=list(asset_ids)).order_by("tag__name")
    names: dict[Any, list[str]] = {}
    for asset_id, name in pairs.values_list("asset_id", "tag__name"):
        names.setdefault(asset_id, []).append(name)
    return names


class CardUrls(SettingsMemo):
    """The cards' signed thumbnail URLs, remembered per process: a URL is a function of the asset's
    id, checksum, focal point and format, the spec and the signing keys, and a library page signs
    96 of them (~1 ms). An edit that changes the URL changes the key; new signing keys (a restart,
    or ``setting_changed`` in tests) empty it."""

    max_entries = 20_000

    @classmethod
    def of(cls, asset: Asset, spec: Spec) -> str:
        key = (asset.pk, asset.sha256, asset.focal_point, asset.format, spec)
        return cls.remembered(key, services.adhoc_url, asset, spec)


def _card(asset: Asset, change_url: str, rights: str, usage_count: int, tags: list[str]) -> Card:
    src = CardUrls.of(asset, CARD_1X)
    return Card(
        pk=str(asset.pk), title=str(asset), change_url=change_url,
        src=src, srcset=f"{src} 1x, {CardUrls.of(asset, CARD_2X)} 2x", format=format_label(asset.format),
        width=asset.width, height=asset.height, status=asset.status, failure_reason=asset.failure_reason,
        tags=tags, collection=getattr(asset, COLLECTION_NAME),
        byte_size=asset.byte_size, created_at=asset.created_at, usage_count=usage_count, rights=rights,
        rights_expire_on=asset.rights_expire_on,
    )  # fmt: skip


def _rights(asset: Asset, today: date, window: int) -> str:
    status = rights_status(asset.licence, asset.rights_expire_on, today, window)
    return str(status.value) if status in (RightsStatus.EXPIRED, RightsStatus.EXPIRING) else ""
