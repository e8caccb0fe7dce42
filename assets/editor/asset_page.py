"""The asset page: each named rendition's real state with ready-to-paste snippets, EXIF as a table,
and the page's actions (make a rendition now, retry a failed asset, replace the file, restore a
version). Every action is a plain POST that redirects back (the page's script makes "make now"
answer JSON instead, so the card updates in place)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from assets import similar
from assets.models import Asset, format_label
from assets.replace import replace_file, restore_version
from dam.errors import DamError
from renditions import pipeline, services
from renditions.exceptions import RenderFailed
from renditions.models import Rendition, RenditionSpec
from renditions.specs import Spec
from renditions.tasks import generate_eager

RATIO_TOLERANCE = 0.01  # renditions whose width/height differ less than this share one srcset
SIMILAR_THUMB = Spec.parse("fit-120x120|format-webp")  # the library table's thumbnail: one cached file


@dataclass
class SimilarAsset:
    asset: Asset
    distance: int
    thumb: str
    url: str

    @property
    def likeness(self) -> str:
        return similar.likeness(self.distance)


def similar_assets(asset: Asset) -> list[SimilarAsset]:
    """Near-duplicates (DAM_SIMILAR_MAX_DISTANCE), closest first: three queries, no storage call."""
    found = similar.similar_to(asset)
    by_id = {a.pk: a for a in Asset.objects.filter(pk__in=[m.asset_id for m in found])}
    return [SimilarAsset(by_id[m.asset_id], m.distance, services.adhoc_url(by_id[m.asset_id], SIMILAR_THUMB),
                         reverse("admin:assets_asset_change", args=[m.asset_id]))
            for m in found if m.asset_id in by_id]  # fmt: skip


@dataclass
class Variant:
    format: str
    width: int
    height: int
    byte_size: int


@dataclass
class RenditionCard:
    name: str
    spec: str
    url: str
    state: str  # "ready", "missing" (not made yet) or "failed"
    reason: str = ""
    width: int | None = None
    height: int | None = None
    content_type: str | None = None
    variants: list[Variant] = field(default_factory=list)
    snippets: dict[str, str] = field(default_factory=dict)

    @property
    def byte_size(self) -> int | None:
        return self.variants[0].byte_size if len(self.variants) == 1 else None

    @property
    def label(self) -> str:
        return {"ready": "ready", "missing": "not made yet", "failed": "failed"}[self.state]


def base_url(request: HttpRequest) -> str:
    return settings.DAM_PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def rendition_cards(asset: Asset, request: HttpRequest) -> list[RenditionCard]:
    """One card per named spec, from two queries (specs, made rows); no storage call."""
    specs = list(RenditionSpec.objects.all())
    made = list(Rendition.objects.filter(asset=asset))
    base = base_url(request)
    cards = [_card(asset, named, made, base) for named in specs]
    for card in cards:
        card.snippets = _snippets(asset, card, cards)
    return cards


def _card(asset: Asset, named: RenditionSpec, made: list[Rendition], base: str) -> RenditionCard:
    key = services.url_key(asset, named.spec)
    rows = [row for row in made if row.key.startswith(f"{key}.")]
    card = RenditionCard(
        named.name, named.spec, services.named_url(asset, named, base=base), "ready" if rows else "missing"
    )
    card.variants = [Variant(format_label(r.format), r.width, r.height, r.byte_size) for r in rows]
    spec = services.parsed(named)
    try:
        card.width, card.height = pipeline.geometry(
            spec, (asset.width, asset.height), asset.focal_point, services.render_limits()
        ).output_size
    except RenderFailed as exc:
        card.state, card.reason = "failed", exc.message
    if not spec.is_auto_format:
        card.content_type = pipeline.CONTENT_TYPES[pipeline.output_format(spec, asset.format)]
    if card.state == "missing" and named.eager and asset.status == Asset.Status.FAILED:
        card.state, card.reason = "failed", asset.failure_reason
    return card


def _snippets(asset: Asset, card: RenditionCard, cards: list[RenditionCard]) -> dict[str, str]:
    """Copy-ready text: the URL, an ``<img>`` with a srcset of the same-shaped renditions, and the
    same for Rails' ``image_tag``."""
    snippets = {"url": card.url}
    if not card.width or not card.height:
        return snippets
    # One candidate per width (a duplicate descriptor makes the srcset invalid), this card's own first.
    by_width = {card.width: card.url}
    for other in cards:
        if _same_shape(other, card):
            by_width.setdefault(other.width or 0, other.url)
    family = sorted(by_width.items())
    srcset = ", ".join(f"{url} {width}w" for width, url in family)
    sizes = f"(max-width: {card.width}px) 100vw, {card.width}px"
    alt = asset.alt_text
    snippets["img"] = (f'<img src="{card.url}" srcset="{srcset}" sizes="{sizes}" alt="{escape(alt)}" '
                       f'width="{card.width}" height="{card.height}">')  # fmt: skip
    pairs = ", ".join(f"{_ruby(url)} => {_ruby(f'{width}w')}" for width, url in family)
    snippets["rails"] = (f"<%= image_tag {_ruby(card.url)}, srcset: {{ {pairs} }}, sizes: {_ruby(sizes)}, "
                         f"alt: {_ruby(alt)}, width: {card.width}, height: {card.height} %>")  # fmt: skip
    return snippets


def _same_shape(other: RenditionCard, card: RenditionCard) -> bool:
    if not other.width or not other.height or other.content_type != card.content_type or other is card:
        return False
    return abs(other.width / other.height - card.width / card.height) <= RATIO_TOLERANCE  # type: ignore[operator]


def _ruby(text: str) -> str:
    """A Ruby string literal (JSON's escaping, plus ``#`` so nothing interpolates)."""
    return json.dumps(text, ensure_ascii=False).replace("#", "\\#")


EXIF_LABELS = {"taken_at": "Taken", "make": "Camera make", "model": "Camera model", "lens_make": "Lens make",
               "lens_model": "Lens model", "copyright": "Copyright", "artist": "Artist"}  # fmt: skip


def exif_rows(asset: Asset) -> list[tuple[str, str]]:
    return [
        (EXIF_LABELS.get(k, k.replace("_", " ").capitalize()), str(v)) for k, v in sorted(asset.exif.items())
    ]


# --- the page's actions ---------------------------------------------------------------------------


def _back(asset_id: Any, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("admin:assets_asset_change", args=[asset_id]) + anchor)


def make_now(request: HttpRequest, asset: Asset) -> HttpResponse:
    """Make one named rendition (every variant of a ``format-auto`` spec) through the one code path."""
    named = RenditionSpec.objects.filter(name=request.POST.get("spec", "")).first()
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        if named is None:
            raise DamError("There is no such rendition spec.", code="unknown_spec", status=404)
        for target in services.Target.every_variant(asset, named):
            services.get_or_generate(target)
    except DamError as exc:
        if wants_json:
            return JsonResponse({"code": exc.code, "message": exc.message}, status=exc.status)
        messages.error(request, f"{exc.message} ({exc.code})")
        return _back(asset.pk, "#renditions")
    if wants_json:
        card = next(c for c in rendition_cards(asset, request) if c.name == named.name)
        return JsonResponse({"name": card.name, "state": card.state, "url": card.url,
                             "variants": [v.__dict__ for v in card.variants]})  # fmt: skip
    messages.success(request, f"Made “{named.name}”.")
    return _back(asset.pk, "#renditions")


def retry(request: HttpRequest, asset: Asset) -> HttpResponse:
    """A failed asset's eager renditions, again (in the background with a broker)."""
    if asset.status != Asset.Status.FAILED:
        messages.info(request, "Only a failed asset can be retried.")
        return _back(asset.pk)
    Asset.objects.filter(pk=asset.pk).update(status=Asset.Status.PROCESSING, failure_reason="",
                                             processing_since=timezone.now())  # fmt: skip
    transaction.on_commit(lambda: generate_eager.delay(str(asset.pk)))
    messages.success(request, "Retrying: its renditions are being made again.")
    return _back(asset.pk)


def replace(request: HttpRequest, asset: Asset) -> HttpResponse:
    received = request.FILES.get("file")
    if received is None:
        messages.error(request, "Choose the new file first.")
        return _back(asset.pk, "#file")
    try:
        replace_file(asset.pk, received, filename=received.name or "upload", by=request.user)
    except DamError as exc:
        messages.error(request, f"Not replaced: {received.name} — {exc.message} ({exc.code})")
        return _back(asset.pk, "#file")
    messages.success(request, f"Replaced the file with {received.name}; the previous one is kept as a version. "
                              "Rendition URLs changed (the old ones redirect to the new ones).")  # fmt: skip
    return _back(asset.pk)


def restore(request: HttpRequest, asset: Asset) -> HttpResponse:
    try:
        restored = restore_version(asset.pk, request.POST.get("version") or 0, by=request.user)
    except (DamError, ValueError) as exc:
        messages.error(request, getattr(exc, "message", "There is no such version."))
        return _back(asset.pk, "#file")
    messages.success(
        request, f"Restored {restored.original_filename}; the file it replaced is kept as a version."
    )
    return _back(asset.pk)


ACTIONS = {"make_now": make_now, "retry": retry, "replace": replace, "restore": restore}
