"""The admin site: its index (and sidebar) grouped by what editors do, not by Django app.

Library (assets, collections, tags), Renditions (specs, renditions), Integrations (API keys,
webhooks, uploads); any other model keeps its app's section after them. Models are named by
``app_label.ModelName`` strings: the wiring imports no app. The breadcrumbs name the same groups
(dam/admin_tags.py, used by templates/admin/*.html): "Home › Integrations › API keys", not the
app that happens to hold the model.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

GROUPS: list[tuple[str, list[str]]] = [
    ("Library", ["assets.Asset", "assets.Collection", "assets.Tag"]),
    ("Renditions", ["renditions.RenditionSpec", "renditions.Rendition"]),
    ("Integrations", ["assets.ApiKey", "assets.WebhookEndpoint", "assets.WebhookDelivery", "assets.Upload"]),
]


class DamAdminSite(admin.AdminSite):
    site_header = "dam"
    site_title = "dam"
    index_title = "Digital assets"

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict[str, Any]]:
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps  # an app's own index page lists that app's models, as Django does
        return group(apps)


def group(apps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    models = {f"{app['app_label']}.{m['object_name']}": (app, m) for app in apps for m in app["models"]}
    grouped: list[dict[str, Any]] = []
    placed: set[str] = set()
    for name, members in GROUPS:
        found = [models[key] for key in members if key in models]
        if not found:
            continue  # this user may see none of them
        first_app, first_model = found[0]
        # The caption links to the group's first list (an app index would mix groups).
        url = first_model.get("admin_url") or first_app.get("app_url")
        grouped.append({**first_app, "name": name, "app_url": url, "models": [model for _, model in found]})
        placed.update(key for key in members if key in models)
    rest = [{**app, "models": [m for m in app["models"] if f"{app['app_label']}.{m['object_name']}" not in placed]}
            for app in apps]  # fmt: skip
    return grouped + [app for app in rest if app["models"]]
