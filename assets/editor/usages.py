"""Where the consuming app uses assets, for editors: the asset page's "Used in" panel (read-only:
the app writes usages through the API), the warning before a delete, and the library's "used ×N"
marker. Every function is one query, whatever the number of assets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Count, QuerySet

from assets.models import Asset, AssetUsage

LISTED = 12  # usages named on a delete confirmation; the rest are counted


@dataclass(frozen=True)
class UsageRow:
    label: str
    href: str  # empty unless http(s): only such URLs become links
    external_id: str
    updated_at: datetime
    written_by: str
    asset: str = ""


def _row(usage: AssetUsage, *, with_asset: bool = False) -> UsageRow:
    href = usage.url if urlsplit(usage.url).scheme in ("http", "https") else ""
    return UsageRow(
        label=usage.label or usage.url, href=href, external_id=usage.external_id, updated_at=usage.updated_at,
        written_by=usage.written_by, asset=str(usage.asset) if with_asset else "",
    )  # fmt: skip


def of_asset(asset: Asset) -> list[UsageRow]:
    """Every usage of one asset, most recently written first (the asset page)."""
    usages = asset.usages.select_related("updated_by_key", "updated_by").order_by("-updated_at", "-id")
    return [_row(usage) for usage in usages]


@dataclass(frozen=True)
class UsageWarning:
    """What a delete confirmation says about usages: how many places, in how many of the assets,
    and the first few of them."""

    count: int
    assets: int
    rows: list[UsageRow]

    @property
    def more(self) -> int:
        return max(0, self.count - len(self.rows))


def warning(assets: QuerySet[Asset] | Iterable[Any], *, name_assets: bool = False) -> UsageWarning | None:
    """None when none of the assets is used anywhere."""
    usages = AssetUsage.objects.filter(asset__in=assets)
    summary = usages.aggregate(count=Count("pk"), assets=Count("asset", distinct=True))
    if not summary["count"]:
        return None
    first = usages.select_related("asset", "updated_by_key", "updated_by").order_by("-updated_at", "-id")[
        :LISTED
    ]
    return UsageWarning(summary["count"], summary["assets"], [_row(u, with_asset=name_assets) for u in first])


def counts(asset_ids: Iterable[Any]) -> dict[Any, int]:
    """``{asset id: number of usages}`` for a page of assets (absent: none)."""
    ids = list(asset_ids)
    if not ids:
        return {}
    rows = AssetUsage.objects.filter(asset_id__in=ids).values("asset_id").annotate(n=Count("pk")).order_by()
    return {row["asset_id"]: row["n"] for row in rows}
