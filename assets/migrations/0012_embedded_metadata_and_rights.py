"""Embedded metadata on originals (``embedded``, ``taken_at``) and rights on assets.

Existing originals get ``embedded`` NULL, "never read" (``manage.py backfill_metadata`` reads
them); new ones get the file's metadata at ingest.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assets', '0011_webhook_outbox'),
    ]

    operations = [
        migrations.AddField(  # existing rows: NULL, not read yet
            model_name='asset',
            name='embedded',
            field=models.JSONField(blank=True, default=None, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name='asset',
            name='embedded',
            field=models.JSONField(blank=True, default=dict, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='asset',
            name='licence',
            field=models.CharField(blank=True, choices=[('all_rights_reserved', 'All rights reserved'), ('cc_by', 'CC BY'), ('cc_by_sa', 'CC BY-SA'), ('cc_by_nd', 'CC BY-ND'), ('cc0', 'CC0'), ('public_domain', 'Public domain'), ('editorial_only', 'Editorial use only'), ('agency', 'Agency / stock'), ('other', 'Other')], help_text='Blank: unknown.', max_length=24),
        ),
        migrations.AddField(
            model_name='asset',
            name='licence_detail',
            field=models.CharField(blank=True, help_text="E.g. the agency and contract, or the licence's version.", max_length=255),
        ),
        migrations.AddField(
            model_name='asset',
            name='rights_expire_on',
            field=models.DateField(blank=True, db_index=True, help_text='The day the rights end; empty: they do not.', null=True),
        ),
        migrations.AddField(
            model_name='asset',
            name='rights_expiry_notified_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='asset',
            name='taken_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When the picture was taken, from the file (a time without an offset is read as UTC).', null=True),
        ),
        migrations.AddField(
            model_name='asset',
            name='usage_terms',
            field=models.TextField(blank=True, help_text='What the licence allows, in words.'),
        ),
        migrations.AddField(  # existing rows: NULL, not read yet
            model_name='assetversion',
            name='embedded',
            field=models.JSONField(blank=True, default=None, editable=False, null=True),
        ),
        migrations.AlterField(
            model_name='assetversion',
            name='embedded',
            field=models.JSONField(blank=True, default=dict, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='assetversion',
            name='taken_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When the picture was taken, from the file (a time without an offset is read as UTC).', null=True),
        ),
    ]
