"""The rendition's asset needs no index of its own: the unique (asset, key) index leads with it.

Only the index is dropped (Django's own AlterField would also drop and re-add the foreign key,
validating every row of a large table under a lock)."""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "renditions_rendition_asset_id_e66aaf91"


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0018_direct_upload_name"),
        ("renditions", "0004_lock_if_missing"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="rendition",
                    name="asset",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="renditions",
                        to="assets.asset",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    f"CREATE INDEX IF NOT EXISTS {INDEX} ON renditions_rendition (asset_id)",
                ),
            ],
        ),
    ]
