"""PostgreSQL: ``dam_lock_if_missing``, the single-flight lock and the row check in one round trip
without a race (renditions/services.py, ``AdvisoryLock``).

A statement's own snapshot is taken before it runs: a row committed after that snapshot, by a
renderer that then unlocked, would be invisible to a statement that got the lock after it, and
the key would be rendered twice. A VOLATILE function takes a new snapshot for each query it runs,
so the check below, made after the lock is held, sees every row committed before the lock was
free (a renderer commits its row before it unlocks)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION dam_lock_if_missing(lock_key bigint, for_asset uuid, for_key varchar)
RETURNS boolean VOLATILE LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_lock(lock_key) THEN
        RETURN false;  -- another session renders it
    END IF;
    IF EXISTS (SELECT 1 FROM renditions_rendition WHERE asset_id = for_asset AND key = for_key) THEN
        PERFORM pg_advisory_unlock(lock_key);
        RETURN false;  -- made meanwhile: nothing to render
    END IF;
    RETURN true;  -- held, and still missing
END
$$;
"""
DROP = "DROP FUNCTION IF EXISTS dam_lock_if_missing(bigint, uuid, varchar);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("renditions", "0003_rendition_spec_name")]
    operations = [migrations.RunPython(create, drop)]
