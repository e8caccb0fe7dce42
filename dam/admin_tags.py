"""``{% load dam_admin %}``: the admin's breadcrumbs name a model's sidebar group, not its app.

Registered in settings (``TEMPLATES … "libraries"``): dam is not an installed app of its own.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag(takes_context=True)
def group_crumb(context: dict[str, Any], opts: Any) -> SafeString:
    """A link to the sidebar group holding ``opts``' model (“Integrations” for API keys), to the
    same page its caption links to; the app (“Assets”) for a model in no group. The groups are
    the ``available_apps`` the sidebar itself was drawn from (dam/admin_site.py)."""
    for group in context.get("available_apps") or []:
        if any(entry.get("model") is opts.model for entry in group.get("models", [])):
            return format_html('<a href="{}">{}</a>', group["app_url"], group["name"])
    url = reverse("admin:app_list", kwargs={"app_label": opts.app_label})
    return format_html('<a href="{}">{}</a>', url, opts.app_config.verbose_name)


@register.simple_tag(takes_context=True)
def home_and_group(context: dict[str, Any], opts: Any) -> SafeString:
    """The start of every admin trail: “Home › <group>” (templates/admin/*.html extend Django's
    pages and change only this part of their breadcrumbs)."""
    home = format_html('<a href="{}">{}</a>', reverse("admin:index"), gettext("Home"))
    return format_html("{} &rsaquo; {}", home, group_crumb(context, opts))
