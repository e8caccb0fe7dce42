"""The named specs a Rails app expects on day one. Editors may change or delete them."""

from django.db import migrations

DEFAULTS = [
    ("thumb", "fill-200x200|format-webp", "Square thumbnail for lists and grids."),
    ("small", "width-480|format-webp", "Cards and mobile columns."),
    ("medium", "width-960|format-webp", "Article body images."),
    ("large", "width-1600|format-webp", "Full-width images on large screens."),
    ("hero", "fill-1920x1080|format-webp|quality-75", "16:9 page headers, cropped around the focal point."),
    ("og", "fill-1200x630|format-jpeg|quality-85", "Open Graph / social cards (scrapers want JPEG)."),
]


def add_defaults(apps, schema_editor):
    RenditionSpec = apps.get_model("renditions", "RenditionSpec")
    for name, spec, description in DEFAULTS:
        RenditionSpec.objects.get_or_create(name=name, defaults={"spec": spec, "description": description})


def remove_defaults(apps, schema_editor):
    RenditionSpec = apps.get_model("renditions", "RenditionSpec")
    RenditionSpec.objects.filter(name__in=[name for name, _, _ in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("renditions", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, remove_defaults)]
