"""Full-text search (assets/search.py): ``Asset.search_document`` and, on PostgreSQL only, what
keeps it current and indexed.

* ``dam_asset_search_document(...)``: the document of one asset: title (weight A), tag names and
  alt text (B), caption and credit (C), file name (D), each cut into words of letters and digits
  (``DSC_0042.jpg`` → ``dsc 0042 jpg``, the way assets/search.py cuts a query) under the ``simple``
  configuration (lower case, no stemming, no stop words).
* Triggers keep it current whatever writes: a row trigger on ``assets_asset`` (insert, and any
  UPDATE naming a searched column: ``save()``, ``QuerySet.update(credit=…)``), statement triggers
  on the tags' through table (``tags.add/remove/set``, the admin's bulk tag actions, a tag deleted)
  and on ``assets_tag`` (a rename refreshes the assets wearing it). An UPDATE that names none of
  them (``status``, ``updated_at``) costs nothing more than before.
* A GIN index on the document; every existing row is filled.
* The trigram indexes on ``UPPER(title)`` and ``UPPER(alt_text)`` go: nothing searches those
  columns by substring any more. The one on ``UPPER(original_filename)`` stays: file-name
  fragments (``0042``) use it. Where pg_trgm is missing, the fragment search runs unindexed.
* On both databases: an index on the through table by (tag, asset), so ``tag=`` reads only the
  index for a tag's assets.
"""

import logging

from django.contrib.postgres.search import SearchVectorField
from django.db import migrations, transaction

logger = logging.getLogger(__name__)

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION dam_search_words(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT regexp_replace(left(coalesce($1, ''), 100000), '[^[:alnum:]]+', ' ', 'g')
$$;

CREATE OR REPLACE FUNCTION dam_asset_search_document(uuid, text, text, text, text, text) RETURNS tsvector
LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('simple', dam_search_words($2)), 'A')
        || setweight(to_tsvector('simple', dam_search_words((
               SELECT string_agg(tag.name, ' ') FROM assets_asset_tags link
               JOIN assets_tag tag ON tag.id = link.tag_id WHERE link.asset_id = $1))), 'B')
        || setweight(to_tsvector('simple', dam_search_words($3)), 'B')
        || setweight(to_tsvector('simple', dam_search_words($4 || ' ' || $5)), 'C')
        || setweight(to_tsvector('simple', dam_search_words($6)), 'D')
$$;

CREATE OR REPLACE FUNCTION dam_asset_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_document := dam_asset_search_document(
        NEW.id, NEW.title, NEW.alt_text, NEW.caption, NEW.credit, NEW.original_filename);
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION dam_asset_tags_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assets_asset SET search_document = NULL
    WHERE id IN (SELECT DISTINCT asset_id FROM changed_links);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION dam_tags_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE assets_asset SET search_document = NULL
    WHERE id IN (
        SELECT link.asset_id FROM assets_asset_tags link
        JOIN new_tags ON new_tags.id = link.tag_id
        JOIN old_tags ON old_tags.id = new_tags.id
        WHERE old_tags.name IS DISTINCT FROM new_tags.name);
    RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER asset_search_document_insert BEFORE INSERT ON assets_asset
    FOR EACH ROW EXECUTE FUNCTION dam_asset_search_refresh();
CREATE TRIGGER asset_search_document_update
    BEFORE UPDATE OF title, alt_text, caption, credit, original_filename, search_document ON assets_asset
    FOR EACH ROW EXECUTE FUNCTION dam_asset_search_refresh();
CREATE TRIGGER asset_tags_added AFTER INSERT ON assets_asset_tags
    REFERENCING NEW TABLE AS changed_links FOR EACH STATEMENT EXECUTE FUNCTION dam_asset_tags_changed();
CREATE TRIGGER asset_tags_removed AFTER DELETE ON assets_asset_tags
    REFERENCING OLD TABLE AS changed_links FOR EACH STATEMENT EXECUTE FUNCTION dam_asset_tags_changed();
CREATE TRIGGER tag_renamed AFTER UPDATE ON assets_tag
    REFERENCING OLD TABLE AS old_tags NEW TABLE AS new_tags
    FOR EACH STATEMENT EXECUTE FUNCTION dam_tags_renamed();
"""

DROP = """
DROP TRIGGER IF EXISTS tag_renamed ON assets_tag;
DROP TRIGGER IF EXISTS asset_tags_removed ON assets_asset_tags;
DROP TRIGGER IF EXISTS asset_tags_added ON assets_asset_tags;
DROP TRIGGER IF EXISTS asset_search_document_update ON assets_asset;
DROP TRIGGER IF EXISTS asset_search_document_insert ON assets_asset;
DROP INDEX IF EXISTS asset_search_document;
DROP FUNCTION IF EXISTS dam_tags_renamed();
DROP FUNCTION IF EXISTS dam_asset_tags_changed();
DROP FUNCTION IF EXISTS dam_asset_search_refresh();
DROP FUNCTION IF EXISTS dam_asset_search_document(uuid, text, text, text, text, text);
DROP FUNCTION IF EXISTS dam_search_words(text);
"""

UNUSED_TRIGRAM = {"asset_title_trgm": "title", "asset_alt_text_trgm": "alt_text"}
FILENAME_TRIGRAM = 'CREATE INDEX IF NOT EXISTS asset_filename_trgm ON assets_asset USING gin (UPPER("original_filename"::text) gin_trgm_ops)'  # noqa: E501
THROUGH_INDEX = "assets_asset_tags_tag_asset"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS)
    schema_editor.execute(TRIGGERS)
    schema_editor.execute("UPDATE assets_asset SET search_document = NULL")  # the trigger fills it
    schema_editor.execute("CREATE INDEX asset_search_document ON assets_asset USING gin (search_document)")
    for name in UNUSED_TRIGRAM:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    _trigram(schema_editor, [FILENAME_TRIGRAM])  # 0010 made it where pg_trgm was there; else now


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP)
    _trigram(
        schema_editor,
        [
            f'CREATE INDEX IF NOT EXISTS {name} ON assets_asset USING gin (UPPER("{column}"::text) gin_trgm_ops)'
            for name, column in UNUSED_TRIGRAM.items()
        ],
    )


def _trigram(schema_editor, statements):
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            for statement in statements:
                schema_editor.execute(statement)
    except Exception:  # noqa: BLE001 - a missing privilege must not stop the deploy
        logger.warning("pg_trgm is not available: file-name fragments will not be indexed")


class Migration(migrations.Migration):
    dependencies = [("assets", "0012_embedded_metadata_and_rights")]
    operations = [
        migrations.AddField(
            model_name="asset",
            name="search_document",
            field=SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(create, drop),
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {THROUGH_INDEX} ON assets_asset_tags (tag_id, asset_id)",
            f"DROP INDEX IF EXISTS {THROUGH_INDEX}",
        ),
    ]
