"""Hardening outside the embedded default: `check --deploy` is clean with the documented settings."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys

import pytest

from tests.security.conftest import ROOT, settings_in_subprocess

MARKER = "<!-- production-settings:"


def documented_production_settings() -> dict[str, str]:
    """The `sh` block after the marker in the README, with RANDOM replaced by fresh secrets."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", readme[readme.index(MARKER) :], re.S)
    assert block, "the README's production settings block is missing"
    found = {}
    for line in block.group(1).splitlines():
        name, _, value = line.split("#", 1)[0].strip().partition("=")
        if name:
            found[name] = secrets.token_urlsafe(50) if value.strip() == "RANDOM" else value.strip()
    return found


def test_check_deploy_is_clean_with_the_documented_production_settings() -> None:
    # given exactly the README's production settings, and nothing from this environment
    shaping = ("DATABASE_URL", "DAM_", "AWS_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(shaping)}
    env.update(documented_production_settings())
    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_documented_settings_set_what_check_deploy_looks_for() -> None:
    documented = documented_production_settings()
    assert {"DAM_SSL_REDIRECT", "DAM_HSTS_SECONDS", "DAM_SECRET_KEY", "DAM_ALLOWED_HOSTS"} <= set(documented)
    assert "DAM_SECURE_COOKIES" not in documented  # secure by default outside the embedded default


@pytest.mark.parametrize(
    ("env", "secure"),
    [({}, False),  # the embedded default: plain http on 127.0.0.1
     ({"DATABASE_URL": "postgres://dam@127.0.0.1:9/dam", "DAM_SECRET_KEY": "x" * 60}, True),
     ({"DAM_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "b", "DAM_SECRET_KEY": "x" * 60}, True),
     ({"DATABASE_URL": "postgres://dam@127.0.0.1:9/dam", "DAM_SECRET_KEY": "x" * 60,
       "DAM_SECURE_COOKIES": "false"}, False)],
)  # fmt: skip
def test_cookies_are_secure_by_default_outside_the_embedded_default(tmp_path, env, secure) -> None:
    loaded = settings_in_subprocess({"DAM_VAR_DIR": str(tmp_path), **env},
                                    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "X_FRAME_OPTIONS")  # fmt: skip
    assert loaded == {
        "SESSION_COOKIE_SECURE": secure,
        "CSRF_COOKIE_SECURE": secure,
        "X_FRAME_OPTIONS": "DENY",
    }


@pytest.mark.django_db
def test_the_admin_may_not_be_framed(client) -> None:
    assert client.get("/admin/login/")["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_hsts_and_ssl_redirect_follow_their_settings(client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    assert client.get("/admin/login/").status_code == 301  # plain http goes to https
    secure = client.get("/admin/login/", secure=True)
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    assert client.get("/healthz").status_code == 200  # load balancers probe over plain http
