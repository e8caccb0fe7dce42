"""The reference for the library page: Django's stock changelist of the same model, configured only
with the same search fields and a status filter, so that every row of the table compares like for like."""

from django.contrib import admin

from assets.models import Asset

bare_site = admin.AdminSite(name="bare")


class BareAssetAdmin(admin.ModelAdmin):
    search_fields = ["title", "alt_text", "tags__name", "original_filename"]
    list_filter = ["status"]


bare_site.register(Asset, BareAssetAdmin)
