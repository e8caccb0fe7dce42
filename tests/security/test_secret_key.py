"""The embedded default's secret key is random per install, kept private, and reused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dam.secret_key import FILE_NAME, embedded_secret_key
from tests.security.conftest import ROOT, settings_in_subprocess


def test_the_embedded_default_makes_a_private_random_key_and_reuses_it(tmp_path) -> None:
    # given two fresh installs
    first_var, second_var = tmp_path / "one", tmp_path / "two"
    # when each starts (twice for the first)
    first = settings_in_subprocess({"DAM_VAR_DIR": str(first_var)}, "SECRET_KEY", "DAM_URL_SIGNING_KEYS")
    again = settings_in_subprocess({"DAM_VAR_DIR": str(first_var)}, "SECRET_KEY")
    second = settings_in_subprocess({"DAM_VAR_DIR": str(second_var)}, "SECRET_KEY")
    # then each install has its own key, kept in its var directory, readable by its owner only
    assert first["SECRET_KEY"] == again["SECRET_KEY"] != second["SECRET_KEY"]
    assert first["DAM_URL_SIGNING_KEYS"] == [first["SECRET_KEY"]]
    assert len(first["SECRET_KEY"]) >= 50
    key_file = first_var / FILE_NAME
    assert key_file.read_text().strip() == first["SECRET_KEY"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_configured_key_wins_and_no_file_is_written(tmp_path) -> None:
    configured = settings_in_subprocess(
        {"DAM_VAR_DIR": str(tmp_path), "DAM_SECRET_KEY": "k" * 60}, "SECRET_KEY"
    )
    assert configured["SECRET_KEY"] == "k" * 60
    assert not (tmp_path / FILE_NAME).exists()


def test_no_secret_key_is_written_in_the_source() -> None:
    settings_source = (ROOT / "dam" / "settings.py").read_text()
    assert "dam-embedded-development-key" not in settings_source


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: embedded_secret_key(tmp_path), range(16)))
    assert len(keys) == 1
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]  # no temporary file left


def test_an_empty_key_file_is_an_error_not_an_empty_key(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("\n")
    with pytest.raises(RuntimeError, match="empty"):
        embedded_secret_key(tmp_path)


def test_a_command_without_the_key_it_needs_says_so_in_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    # given a production-like environment (a database URL) that forgot DAM_SECRET_KEY
    env = {k: v for k, v in os.environ.items() if k != "DAM_SECRET_KEY"}
    env.update(DATABASE_URL="postgres://postgres@127.0.0.1:5432/nowhere", DAM_VAR_DIR=str(tmp_path),
               DJANGO_SETTINGS_MODULE="dam.settings")  # fmt: skip
    # when an operator runs a command
    done = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    # then it fails with one line naming the setting, not a traceback
    assert done.returncode == 1
    assert done.stderr.strip() == "dam: DAM_SECRET_KEY must be set outside the embedded default"
