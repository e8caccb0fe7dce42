"""Operations commands through call_command: dry runs, filters, summaries, failure exit codes."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from assets.ingest import ingest
from assets.models import Asset
from renditions import services
from renditions.models import Rendition, RenditionSpec
from tests import images
from tests.servers import ROOT, database_url

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
    with pytest.raises(CommandError, match="No asset with id 00000000-0000-4000-8000-000000000000"):
        run("regenerate_renditions", "--asset", "00000000-0000-4000-8000-000000000000")


def test_regenerate_queued_runs_the_same_work(two_assets) -> None:
    assert "Queued 2 assets × 1 spec." in run("regenerate_renditions", "--spec", "og", "--queue")
    assert Rendition.objects.filter(spec_name="og").count() == 2  # no broker: ran in-process


def test_regenerate_failures_exit_non_zero(two_assets) -> None:
    RenditionSpec.objects.create(name="broken", spec="crop-900,900,10x10")
    with pytest.raises(CommandError, match="2 renditions failed"):
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
    assert "Would delete 2 stale rendition rows" in run("prune_renditions", "--dry-run", "--rows-only")
    assert Rendition.objects.count() == 2
    assert "Deleted 2 stale rendition rows" in run("prune_renditions", "--rows-only")
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
    assert "Deleted 2 stale rendition rows and 1 orphan object." in out
    assert not orphan.exists() and young.exists()


def test_verify_storage(two_assets, storage) -> None:
    run("regenerate_renditions", "--spec", "thumb")
    assert "0 missing originals, 0 missing renditions." in run("verify_storage")
    lost = Rendition.objects.first()
    assert lost is not None
    services.renditions_storage().delete(lost.storage_name)
    with pytest.raises(CommandError):
        run("verify_storage")
    assert "Dropped 1 row of a missing rendition." in run("verify_storage", "--fix")
    two_assets[0].file.storage.delete(two_assets[0].file.name)
    with pytest.raises(CommandError):
        run("verify_storage", "--fix")


# --- arguments: one line and a non-zero exit, never a traceback ---------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["regenerate_renditions", "--asset", "not-a-uuid"], "--asset 'not-a-uuid' is not an id"),
        (["regenerate_renditions", "--spec", "nope", "--spec", "nada"], "Unknown specs: nada, nope."),
        (["regenerate_renditions", "--spec", "nope"], "Unknown spec: nope."),
        (["regenerate_renditions", "--force", "--missing-only"], "not allowed with argument"),
        (["regenerate_renditions", "--asset"], "expected one argument"),
        (["prune_renditions", "--everything"], "unrecognized arguments: --everything"),
        (["verify_storage", "extra"], "unrecognized arguments: extra"),
        (["prune_uploads", "--all"], "unrecognized arguments: --all"),
        (
            ["verify_storage", "--orphans", "--grace", "-1"],
            "argument --grace: '-1' must be 0 or more seconds",
        ),
        (
            ["verify_storage", "--orphans", "--grace", "nan"],
            "argument --grace: 'nan' must be 0 or more seconds",
        ),
        (
            ["verify_storage", "--orphans", "--grace", "inf"],
            "argument --grace: 'inf' must be 0 or more seconds",
        ),
        (
            ["verify_storage", "--orphans", "--grace", "1e30"],
            "argument --grace: '1e30' must be 0 or more seconds",
        ),
        (["verify_storage", "--grace", "soon"], "argument --grace: 'soon' is not a number of seconds"),
        (["requeue_stalled", "--older-than", "-1"], "argument --older-than: '-1' must be 0 or more seconds"),
        (
            ["requeue_stalled", "--older-than", "nan"],
            "argument --older-than: 'nan' must be 0 or more seconds",
        ),
        (["create_api_key", "  "], "NAME must not be empty."),
        (["create_api_key", "x" * 101], "NAME must be at most 100 characters"),
    ],
)
def test_bad_arguments_are_a_command_error(args: list[str], message: str) -> None:
    with pytest.raises(CommandError) as raised:
        run(*args)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_every_dam_command_follows_the_shared_conventions() -> None:
    """Arguments, verbosity and errors behave alike in every command dam ships, new ones too."""
    from django.core.management import get_commands, load_command_class

    from dam.commands import DamCommand

    ours = {name: app for name, app in get_commands().items() if app in ("assets", "renditions", "api")}
    assert {"regenerate_renditions", "prune_renditions", "verify_storage", "seed"} <= set(ours)
    assert [n for n, app in ours.items() if not isinstance(load_command_class(app, n), DamCommand)] == []


def manage(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` in a fresh process on the test database, as an operator runs it."""
    env = {**os.environ, "DATABASE_URL": database_url(), "DAM_SECRET_KEY": "test",
           "DAM_VAR_DIR": str(tmp_path / "var"), "DAM_LOG_LEVEL": "INFO"}  # fmt: skip
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "status", "line"),
    [
        (["regenerate_renditions", "--asset", "not-a-uuid"], 1,
         "CommandError: --asset 'not-a-uuid' is not an id (a UUID such as 00000000-0000-0000-0000-000000000000)."),
        (["regenerate_renditions", "--force", "--missing-only"], 2,
         "CommandError: argument --missing-only: not allowed with argument --force "
         "(see manage.py regenerate_renditions --help)"),
    ],
)  # fmt: skip
def test_from_the_command_line_a_bad_argument_is_one_line(tmp_path: Path, args, status, line) -> None:
    # when
    result = manage(tmp_path, *args)
    # then
    assert (result.returncode, result.stdout, result.stderr) == (status, "", line + "\n")


# --- progress: units of work done, with their total ----------------------------------------------


class Terminal(io.StringIO):
    """Stands in for an operator's terminal: the bars are only drawn when stderr is a tty."""

    def isatty(self) -> bool:
        return True


def final_bar(text: str) -> str:
    return text.replace("\r", "\n").strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "bar"),
    [
        # 2 originals and 2 renditions checked, none missing: the bar counts checks, not findings
        (["verify_storage"], "checking: 100%|##########| 4/4 "),
        # 2 assets × 1 spec
        (["regenerate_renditions", "--spec", "small"], "renditions: 100%|##########| 2/2 "),
    ],
)
def test_progress_bars_count_the_work_done_out_of_its_total(two_assets, monkeypatch, args, bar) -> None:
    # given two assets with a rendition each, and a terminal
    run("regenerate_renditions", "--spec", "thumb")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    # when
    run(*args)
    # then
    last = final_bar(terminal.getvalue())
    assert last.startswith(bar), last


# --- verbosity 0: errors only ------------------------------------------------------------------


def test_verbosity_0_prints_errors_only(two_assets, caplog) -> None:
    # given a spec that renders and one that fails
    RenditionSpec.objects.create(name="broken", spec="crop-900,900,10x10")
    out, err = io.StringIO(), io.StringIO()
    # when
    with caplog.at_level(logging.DEBUG), pytest.raises(CommandError, match="2 renditions failed"):
        call_command("regenerate_renditions", verbosity=0, stdout=out, stderr=err)
    # then nothing but the failures: no summary, no render log line
    assert out.getvalue() == ""
    assert err.getvalue().count("failed: ") == 2
    assert [r.getMessage() for r in caplog.records if r.levelno < logging.ERROR] == []
    assert Rendition.objects.filter(spec_name="thumb").count() == 2  # the work was still done


def test_verbosity_1_logs_each_render(two_assets, caplog) -> None:
    with caplog.at_level(logging.INFO):
        run("regenerate_renditions", "--spec", "thumb")
    assert sum(r.getMessage().startswith("rendered ") for r in caplog.records) == 2


def test_verbosity_0_from_the_command_line_prints_nothing_on_success(tmp_path: Path) -> None:
    # given two assets in the local storage the command's own process will use
    for i in range(2):
        ingest(io.BytesIO(images.jpeg((200, 100))), filename=f"{i}.jpg")
    # when
    result = manage(tmp_path, "regenerate_renditions", "--spec", "thumb", "-v", "0")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert Rendition.objects.count() == 2


# --- wording: plurals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("assets", "expected"),
    [(1, "Would queue 1 asset × 2 specs."), (2, "Would queue 2 assets × 2 specs.")],
)
def test_summaries_use_proper_plurals(two_assets, assets: int, expected: str) -> None:
    ids = [arg for asset in two_assets[:assets] for arg in ("--asset", str(asset.id))]
    out = run("regenerate_renditions", "--queue", "--dry-run", "--spec", "thumb", "--spec", "og", *ids)
    assert expected in out
    assert "(s)" not in out


def test_a_first_migrate_on_the_embedded_default_prints_no_warning(tmp_path: Path) -> None:
    """`make run`'s first step on a fresh machine: SQLite under var/, nothing configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DAM_"))}
    env.update({"DAM_VAR_DIR": str(tmp_path / "var"), "DAM_SECRET_KEY": "test"})
    result = subprocess.run([sys.executable, "manage.py", "migrate", "--no-input"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr and "System check identified" not in result.stdout
