"""Every asset is in a collection: create the root ("Library") and put the existing assets in it."""

from django.db import migrations

ROOT_PATH = "0001"  # treebeard's first root node (steplen 4, alphabet 0-9A-Z)


def into_default_collection(apps, schema_editor):
    Collection = apps.get_model("assets", "Collection")
    Asset = apps.get_model("assets", "Asset")
    root = Collection.objects.filter(depth=1).order_by("path").first()
    if root is None:
        # Historical models have no treebeard methods: write the root node's columns directly.
        root = Collection.objects.create(path=ROOT_PATH, depth=1, numchild=0, name="Library")
    Asset.objects.filter(collection__isnull=True).update(collection=root)


class Migration(migrations.Migration):
    dependencies = [("assets", "0007_collections_and_versions")]
    operations = [migrations.RunPython(into_default_collection, migrations.RunPython.noop)]
