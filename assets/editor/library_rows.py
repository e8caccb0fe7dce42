"""The library's rows as HTML: the grid's cards and the table's rows, built in Python.

The same markup the templates wrote per card (library_grid.html and library_table.html keep the
rest of the page), escaped the same way by ``format_html``: a ``{% for %}`` over 48 cards with an
``{% include %}`` and a dozen ``{% if %}`` each was half of a library page's server time. The words
are the templates' message ids, so a translation of the admin applies as it did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime

from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import filesizeformat
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime
from django.utils.translation import gettext, ngettext

from assets.editor.library import Card


def grid(cards: Iterable[Card], *, selectable: bool) -> SafeString:
    """The grid's ``<tr class="library-card">`` rows; ``selectable`` adds the actions' checkbox."""
    return _rows(cards, _grid_row, selectable)


def table(cards: Iterable[Card], *, selectable: bool) -> SafeString:
    """The table's rows, in the columns of ``AssetAdmin.list_display``."""
    return _rows(cards, _table_row, selectable)


def _rows(cards: Iterable[Card], row: Callable[[Card, str], SafeString], selectable: bool) -> SafeString:
    select = gettext("Select %(title)s") if selectable else ""  # once a page, not once a card
    return mark_safe("\n".join(row(card, select) for card in cards))  # noqa: S308 (format_html's)


def _grid_row(card: Card, select: str) -> SafeString:
    return format_html(
        '<tr class="library-card{}">{}\n<td class="library-card-body">\n'
        '<a href="{}" class="library-card-image">\n'
        '<img src="{}" srcset="{}" alt="" loading="lazy" decoding="async" width="{}" height="{}">\n</a>\n'
        '{}\n{}\n<a href="{}" class="library-card-title" title="{}">{}</a>\n'
        '<span class="library-card-facts">{} · {}×{}{}</span>\n{}\n</td>\n</tr>',
        f" is-{card.status}" if card.status != "ready" else "", _checkbox(card, select),
        card.change_url, card.src, card.srcset, card.width, card.height,
        _status(card, "library-badge"), _rights(card), card.change_url, card.title, card.title,
        card.format, card.width, card.height, _used(card), _tags(card),
    )  # fmt: skip


def _table_row(card: Card, select: str) -> SafeString:
    created = localtime(card.created_at)  # as the `date` filter shows it (USE_TZ)
    return format_html(
        '<tr>\n{}\n<td class="field-thumbnail"><a href="{}"><img src="{}" alt="" loading="lazy" decoding="async"'
        ' class="library-table-thumb"></a></td>\n'
        '<th class="field-title_column"><a href="{}">{}</a>{}\n{}\n{}</th>\n'
        '<td class="field-format_column">{}</td>\n<td class="field-dimensions nowrap">{}×{}</td>\n'
        '<td class="field-size_column nowrap">{}</td>\n<td class="field-collection">{}</td>\n'
        '<td class="field-created_at nowrap">{}<br><span class="quiet">{}</span></td>\n</tr>',
        _checkbox(card, select), card.change_url, card.src, card.change_url, card.title, _used(card),
        _on_a_line(_status(card, "status-badge")), _on_a_line(_rights(card)), card.format, card.width,
        card.height, filesizeformat(card.byte_size), card.collection, _day(created), date_filter(created, "H:i"),
    )  # fmt: skip


def _checkbox(card: Card, select: str) -> SafeString:
    if not select:
        return mark_safe("")
    # As {% blocktranslate %} does: the translation as written, the title escaped into it.
    label = mark_safe(select % {"title": escape(card.title)})  # noqa: S308
    return format_html(
        '<td class="action-checkbox"><input type="checkbox" name="_selected_action" value="{}"'
        ' class="action-select" aria-label="{}"></td>',
        card.pk, label,
    )  # fmt: skip


def _status(card: Card, css_class: str) -> SafeString:
    """``failed`` or ``processing``, with the reason on hover; nothing for a ready asset."""
    if card.status == "ready":
        return mark_safe("")
    reason = format_html(' title="{}"', card.failure_reason) if card.failure_reason else ""
    return format_html('<span class="{} is-{}"{}>{}</span>', css_class, card.status, reason, card.status)


def _rights(card: Card) -> SafeString:
    if not card.rights:
        return mark_safe("")
    day = _day(card.rights_expire_on)
    words = gettext("rights expired") if card.rights == "expired" else gettext("rights expiring")
    return format_html('<span class="rights-badge is-{}" title="{}">{}</span>', card.rights,
                       gettext("Rights end on %(day)s") % {"day": day}, words)  # fmt: skip


def _used(card: Card) -> SafeString:
    """`` used ×N`` where the consuming app uses the asset (includes/used_marker.html's words)."""
    if not card.usage_count:
        return mark_safe("")
    count = card.usage_count
    title = ngettext("Used in %(counter)s place (the consuming app)",
                     "Used in %(counter)s places (the consuming app)", count) % {"counter": count}  # fmt: skip
    return format_html(' <span class="library-used" title="{}">{}</span>', title,
                       gettext("used ×%(n)s") % {"n": count})  # fmt: skip


def _tags(card: Card) -> SafeString:
    if not card.tags:
        return mark_safe("")
    return format_html(
        '<span class="library-card-tags">{}</span>',
        format_html_join("", '<span class="library-tag">{}</span>', ((tag,) for tag in card.tags)),
    )


def _on_a_line(badge: SafeString) -> SafeString:
    """A badge under the table's title, after a line break; nothing when there is none."""
    return format_html("<br>{}", badge) if badge else badge


def _day(value: date | datetime | None) -> str:
    return date_filter(value, "Y-m-d")
