"""The library page (the Assets changelist): a grid of cards by default, or the table.

Both views render rows from the same ``Card`` values: Django's per-cell machinery
(``items_for_result``) cost more than the queries at 48 rows a page; the table keeps the admin's
sortable headers (``result_headers``).

The choice is remembered in the session; ``?view=grid|table`` changes it and redirects to the
same list without the parameter (the changelist refuses parameters it does not know).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.text import smart_split, unescape_string_literal

from assets.editor import usages
from assets.models import Asset, RightsStatus, Tag, format_label
from renditions import services
from renditions.specs import Spec

VIEWS = ("grid", "table")
VIEW_PARAM = "view"
SESSION_KEY = "dam.library.view"
# Cards are at most ~240 CSS px wide: one image per pixel density. Ad-hoc (signed) specs, not named
# ones, so an editor deleting or changing the `thumb` spec never breaks the library.
CARD_1X = Spec.parse("fit-240x240|format-webp")
CARD_2X = Spec.parse("fit-480x480|format-webp")


SEARCHED_TEXT = ("title", "alt_text", "original_filename")


def search(queryset: QuerySet[Asset], term: str) -> QuerySet[Asset]:
    """Every word must match a title, alt text, file name or tag.

    The text columns are OR-ed alone, so that PostgreSQL can combine their trigram indexes
    (assets migration library_search_trigram_indexes) for a rare word, or walk the newest-first index for a common one. Tags join
    only when some tag matches the word (one query on the small tags table), through an ``IN``
    subquery the planner runs once, not the admin's per-row ``EXISTS`` (10× slower at 100k rows).
    """
    for word in smart_split(term):
        if word[:1] in "\"'" and word[-1:] == word[:1]:
            word = unescape_string_literal(word)
        matches = Q()
        for field in SEARCHED_TEXT:
            matches |= Q(**{f"{field}__icontains": word})
        tags = Tag.objects.filter(name__icontains=word)
        if tags.exists():
            matches |= Q(id__in=Asset.tags.through.objects.filter(tag__in=tags).values("asset_id"))
        queryset = queryset.filter(matches)
    return queryset


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


def cards(assets: Iterable[Asset]) -> list[Card]:
    """What a card shows, from rows already fetched (tags prefetched), and the page's usage counts
    (one query): no storage call."""
    assets = list(assets)
    used = usages.counts(asset.pk for asset in assets)
    return [_card(asset, used.get(asset.pk, 0)) for asset in assets]


def _card(asset: Asset, usage_count: int = 0) -> Card:
    src = services.adhoc_url(asset, CARD_1X)
    return Card(
        pk=str(asset.pk), title=str(asset), change_url=reverse("admin:assets_asset_change", args=[asset.pk]),
        src=src, srcset=f"{src} 1x, {services.adhoc_url(asset, CARD_2X)} 2x", format=format_label(asset.format),
        width=asset.width, height=asset.height, status=asset.status, failure_reason=asset.failure_reason,
        tags=[tag.name for tag in asset.tags.all()], collection=asset.collection.name,
        byte_size=asset.byte_size, created_at=asset.created_at, usage_count=usage_count, rights=_rights(asset),
        rights_expire_on=asset.rights_expire_on,
    )  # fmt: skip


def _rights(asset: Asset) -> str:
    status = asset.rights_status
    return str(status.value) if status in (RightsStatus.EXPIRED, RightsStatus.EXPIRING) else ""
