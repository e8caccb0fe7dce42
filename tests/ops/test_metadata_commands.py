"""backfill_metadata (embedded metadata for assets uploaded before dam read it) and
notify_rights_expiring (the asset.rights_expiring webhook, once per asset and expiry date)."""

from __future__ import annotations

import io
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.db import connection
from django.utils import timezone

from assets.ingest import AssetFields, ingest
from assets.models import Asset, WebhookDelivery, WebhookEndpoint
from tests import exiftool, images
from tests.ops.test_commands import Terminal, final_bar, manage, run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def old_assets(storage) -> list[Asset]:
    """Three assets with tagged files, as uploaded before dam read embedded metadata."""
    made = []
    for i in range(3):
        data = exiftool.write(images.jpeg((64, 48)), "JPEG", f"-XMP-dc:Title=File title {i}",
                              "-EXIF:DateTimeOriginal=2022:03:04 05:06:07")  # fmt: skip
        made.append(ingest(io.BytesIO(data), filename=f"{i}.jpg", fields=AssetFields(title=f"Editor {i}")))
    Asset.objects.update(embedded=None, taken_at=None)
    return made


def test_backfill_dry_run_then_fill_then_nothing_left(old_assets) -> None:
    # when a dry run looks first
    assert run("backfill_metadata", "--dry-run").strip() == "Would read 3 originals."
    assert Asset.objects.filter(embedded__isnull=True).count() == 3  # nothing changed
    # when it runs
    assert run("backfill_metadata", "--batch", "2").strip() == "Filled 3 assets, 0 failed."
    # then every asset has its file's metadata, and the editor's title is untouched
    for asset in Asset.objects.all():
        assert asset.embedded["title"].startswith("File title")
        assert asset.title.startswith("Editor")
        assert asset.taken_at is not None and asset.taken_at.year == 2022
    # and a second run has nothing to do (restartable, idempotent)
    assert run("backfill_metadata").strip() == "Filled 0 assets, 0 failed."


def test_backfill_fills_the_placeholder_hash_and_automatic_focal_point(storage) -> None:
    # given an asset uploaded before dam analysed images (its analysis fields empty)
    asset = ingest(io.BytesIO(images.jpeg((320, 200))), filename="marked.jpg")
    expected = (asset.placeholder, asset.dominant_color, asset.perceptual_hash)
    assert all(v not in ("", None) for v in expected)
    Asset.objects.update(placeholder="", dominant_color="", perceptual_hash=None, phash_0=None, phash_1=None,
                         phash_2=None, phash_3=None, auto_focal_x=None, auto_focal_y=None)  # fmt: skip
    # when only the analysis filler runs
    assert run("backfill_metadata", "--only", "analysis").strip() == "Filled 1 asset, 0 failed."
    # then the stored original gave the same analysis as the upload did
    asset.refresh_from_db()
    assert (asset.placeholder, asset.dominant_color, asset.perceptual_hash) == expected
    assert asset.phash_0 is not None
    assert run("backfill_metadata", "--only", "analysis").strip() == "Filled 0 assets, 0 failed."


def test_backfill_is_restartable_with_a_limit(old_assets) -> None:
    assert run("backfill_metadata", "--limit", "2").strip() == "Filled 2 assets, 0 failed."
    assert Asset.objects.filter(embedded__isnull=True).count() == 1
    assert run("backfill_metadata").strip() == "Filled 1 asset, 0 failed."


def test_backfill_shows_progress_out_of_its_total(old_assets, monkeypatch) -> None:
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    run("backfill_metadata")
    assert final_bar(terminal.getvalue()).startswith("metadata: 100%|##########| 3/3 ")


def test_backfill_reports_a_missing_original_and_goes_on(old_assets, storage) -> None:
    Asset.objects.filter(pk=old_assets[0].pk).update(file="originals/gone.jpg")
    with pytest.raises(CommandError, match="1 original could not be read"):
        run("backfill_metadata")
    assert Asset.objects.filter(embedded__isnull=True).count() == 1


@pytest.mark.parametrize(("args", "line"), [
    (["--batch", "0"], "CommandError: --batch must be 1 or more, not 0."),
    (["--limit", "-1"], "CommandError: --limit must be 1 or more, not -1."),
])  # fmt: skip
def test_backfill_bad_arguments_are_one_line(tmp_path: Path, args, line) -> None:
    result = manage(tmp_path, "backfill_metadata", *args)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", line + "\n")


# --- notify_rights_expiring -------------------------------------------------------------------


@pytest.fixture
def endpoint(db) -> WebhookEndpoint:
    # A private address: the delivery row is written (what these tests count); its send is refused.
    return WebhookEndpoint.objects.create(url="http://127.0.0.1:9/hooks", events=["asset.rights_expiring"])


def expiring(storage, offsets: list[int | None]) -> list[Asset]:
    today = timezone.localdate()
    return [ingest(io.BytesIO(images.jpeg((32, 32))), filename=f"{i}.jpg",
                   fields=AssetFields(licence="agency", rights_expire_on=None if d is None else today + timedelta(days=d)))
            for i, d in enumerate(offsets)]  # fmt: skip


def test_each_expiring_or_expired_asset_is_announced_once(storage, endpoint) -> None:
    # given assets whose rights ended, end within 30 days, end later, or never
    ended, soon, _later, _never = expiring(storage, [-2, 30, 31, None])
    # when the daily command runs twice
    first = run("notify_rights_expiring")
    second = run("notify_rights_expiring")
    # then the first announced the two, the second nothing
    assert (first.strip(), second.strip()) == ("Announced 2 assets.", "Announced 0 assets.")
    rows = WebhookDelivery.objects.filter(event="asset.rights_expiring")
    assert sorted(r.payload["data"]["asset"]["id"] for r in rows) == sorted([str(ended.pk), str(soon.pk)])
    payload = next(r.payload["data"] for r in rows if r.payload["data"]["asset"]["id"] == str(ended.pk))
    assert payload["rights"]["status"] == "expired"
    assert payload["rights"]["expires_on"] == ended.rights_expire_on.isoformat()
    assert payload["rights"]["licence"] == "agency"


def test_a_new_expiry_date_is_announced_again(storage, endpoint, admin_client) -> None:
    (asset,) = expiring(storage, [3])
    run("notify_rights_expiring")
    # when an editor moves the date (still within the window)
    asset.refresh_from_db()
    asset.rights_expire_on = asset.rights_expire_on + timedelta(days=5)
    asset.save()
    # then it is announced once more, for the new date
    assert run("notify_rights_expiring").strip() == "Announced 1 asset."
    assert WebhookDelivery.objects.filter(event="asset.rights_expiring").count() == 2
    # and saving without changing the date does not
    asset.refresh_from_db()
    asset.title = "renamed"
    asset.save()
    assert run("notify_rights_expiring").strip() == "Announced 0 assets."


def test_dry_run_sends_nothing(storage, endpoint) -> None:
    expiring(storage, [1, 2])
    assert run("notify_rights_expiring", "--dry-run").strip() == "Would announce 2 assets."
    assert not WebhookDelivery.objects.exists()


def test_concurrent_runs_announce_each_asset_once(storage, endpoint) -> None:
    # given ten expiring assets and four runs at once
    expiring(storage, [1] * 10)
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers: concurrency is proven on PostgreSQL")
    errors: list[BaseException] = []

    def one() -> None:
        try:
            run("notify_rights_expiring")
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert WebhookDelivery.objects.filter(event="asset.rights_expiring").count() == 10
