"""Operations commands through call_command: dry runs, filters, summaries, failure exit codes."""

from __future__ import annotations

import io
import os
import time

import pytest
from django.core.management import CommandError, call_command

from assets.ingest import ingest
from assets.models import Asset
from renditions import services
from renditions.models import Rendition, RenditionSpec
from tests import images

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def two_assets(storage) -> list[Asset]:
    return [ingest(io.BytesIO(images.jpeg((200, 100))), filename=f"{i}.jpg") for i in range(2)]


def test_regenerate_dry_run_then_inline_then_idempotent(two_assets) -> None:
    specs = RenditionSpec.objects.count()
    assert f"Would make {2 * specs}," in run("regenerate_renditions", "--dry-run")
    assert not Rendition.objects.exists()
    assert f"Made {2 * specs}, already there 0, failed 0." in run("regenerate_renditions")
    assert Rendition.objects.count() == 2 * specs
    assert f"Made 0, already there {2 * specs}" in run("regenerate_renditions", "--missing-only")


def test_regenerate_filters_and_force(two_assets) -> None:
    first = two_assets[0]
    assert "Made 1," in run("regenerate_renditions", "--spec", "thumb", "--asset", str(first.id))
    before = Rendition.objects.get()
    assert "Made 1," in run("regenerate_renditions", "--spec", "thumb", "--asset", str(first.id), "--force")
    after = Rendition.objects.get()
    assert after.pk != before.pk and after.key == before.key
    with pytest.raises(CommandError, match="Unknown spec"):
        run("regenerate_renditions", "--spec", "nope")
    with pytest.raises(CommandError, match="do not exist"):
        run("regenerate_renditions", "--asset", "00000000-0000-4000-8000-000000000000")


def test_regenerate_queued_runs_the_same_work(two_assets) -> None:
    assert "Queued 2 asset(s) × 1 spec(s)." in run("regenerate_renditions", "--spec", "og", "--queue")
    assert Rendition.objects.filter(spec_name="og").count() == 2  # no broker: ran in-process


def test_regenerate_failures_exit_non_zero(two_assets) -> None:
    RenditionSpec.objects.create(name="broken", spec="crop-900,900,10x10")
    with pytest.raises(CommandError, match="2 rendition"):
        run("regenerate_renditions", "--spec", "broken")


def test_prune_removes_what_a_spec_edit_made_unreachable(two_assets, storage) -> None:
    # given renditions of a spec that an editor then changes
    run("regenerate_renditions", "--spec", "thumb")
    old_files = {r.storage_name for r in Rendition.objects.all()}
    thumb = RenditionSpec.objects.get(name="thumb")
    thumb.spec = "fill-100x100|format-webp"
    thumb.save()
    # new URLs follow at once
    assert all(services.named_url(a, thumb).split("/")[-1] not in old_files for a in two_assets)
    # when
    assert "Would delete 2 stale rendition row(s)" in run("prune_renditions", "--dry-run", "--rows-only")
    assert Rendition.objects.count() == 2
    assert "Deleted 2 stale rendition row(s)" in run("prune_renditions", "--rows-only")
    # then rows and files are gone
    assert not Rendition.objects.exists()
    assert not any(name.startswith("renditions/") for name in storage.names())


def test_prune_removes_rows_of_deleted_specs_and_old_orphans(filesystem_storage) -> None:
    for i in range(2):
        ingest(io.BytesIO(images.jpeg((200, 100))), filename=f"{i}.jpg")
    run("regenerate_renditions", "--spec", "small")
    RenditionSpec.objects.filter(name="small").delete()
    # an object no row refers to, old enough to be no in-flight write
    orphan = filesystem_storage.root / "renditions" / "stray" / "lost.webp"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    young = filesystem_storage.root / "renditions" / "stray" / "new.webp"
    young.write_bytes(b"y")
    old = time.time() - 7200
    os.utime(orphan, (old, old))
    out = run("prune_renditions")
    assert "Deleted 2 stale rendition row(s) and 1 orphan object(s)." in out
    assert not orphan.exists() and young.exists()


def test_verify_storage(two_assets, storage) -> None:
    run("regenerate_renditions", "--spec", "thumb")
    assert "0 missing original(s), 0 missing rendition(s)." in run("verify_storage")
    lost = Rendition.objects.first()
    assert lost is not None
    services.renditions_storage().delete(lost.storage_name)
    with pytest.raises(CommandError):
        run("verify_storage")
    assert "Dropped 1 row(s)" in run("verify_storage", "--fix")
    two_assets[0].file.storage.delete(two_assets[0].file.name)
    with pytest.raises(CommandError):
        run("verify_storage", "--fix")
