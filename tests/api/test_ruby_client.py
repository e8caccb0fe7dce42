"""The Ruby gem in clients/ruby: its offline minitest suite, then every flow against a live server
(filesystem storage and S3 through moto), as the Rails app would use it.

Ruby, Faraday, minitest and RuboCop come from Debian (`apt-get install -y ruby ruby-faraday
ruby-minitest rubocop`; `.ci/run` installs them). Without them the tests skip locally and fail in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from api.permissions import PerClientThrottle
from assets.models import ApiKey, Collection, WebhookEndpoint
from tests import images

GEM = Path(__file__).resolve().parents[2] / "clients" / "ruby"
DEBIAN_PACKAGES = "ruby ruby-faraday ruby-minitest rubocop"
RUN_TIMEOUT = 300  # seconds: the live suite makes a few dozen uploads and renders
# Minitest's summary line; a skipped test would hide a flow that never ran, so none may skip.
CLEAN_RUN = re.compile(r"^\d+ runs, \d+ assertions, 0 failures, 0 errors, 0 skips$", re.MULTILINE)
# Faraday 2 and the two gems its use here needs, copied for the tests (test/faraday2/README.md):
# the suites run once on Debian's Faraday 1.x and once with these first on the load path.
FARADAY_2 = [
    GEM / "test" / "faraday2" / name / "lib" for name in ("faraday", "faraday-net_http", "faraday-retry")
]
FARADAY = [1, 2]
THROTTLE_RATE = "5/sec"  # low enough that a dozen quick calls are throttled, Retry-After of 1 s
WEBHOOK_SECRET = "whsec_ruby_live"


def require_tool(found: str | None, what: str) -> str:
    """The tool's path; without it a skip locally, a failure in CI (DAM_REQUIRE_SERVICES)."""
    if found is None:
        reason = f"{what} is not installed (apt-get install -y {DEBIAN_PACKAGES})"
        if os.environ.get("DAM_REQUIRE_SERVICES"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def ruby_with_gems() -> str | None:
    ruby = shutil.which("ruby")
    if ruby is None:
        return None
    probe = subprocess.run(
        [ruby, "-e", 'require "faraday"; require "minitest"'], capture_output=True, timeout=60
    )
    return ruby if probe.returncode == 0 else None


@pytest.fixture(scope="module")
def ruby() -> str:
    return require_tool(ruby_with_gems(), "ruby with faraday and minitest")


def run_minitest(ruby: str, pattern: str, env: dict[str, str] | None = None, *, faraday: int = 1) -> str:
    """Run the gem's test files matching ``pattern`` (relative to clients/ruby) on Faraday 1.x
    (Debian's) or 2.x (test/faraday2); fail on any failure, error or skip, with minitest's whole
    output in the message."""
    script = ('require "faraday"; warn "Faraday #{Faraday::VERSION}"; '
              'Dir[ENV.fetch("DAM_TEST_FILES")].sort.each { |file| require File.expand_path(file) }')  # fmt: skip
    load_path = [f"-I{path}" for path in FARADAY_2] if faraday == 2 else []
    result = subprocess.run(
        [ruby, *load_path, "-Ilib", "-Itest", "-e", script, "--", "--verbose"],  # names and times each test
        cwd=GEM, env={**os.environ, **(env or {}), "DAM_TEST_FILES": pattern},
        capture_output=True, text=True, timeout=RUN_TIMEOUT,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert CLEAN_RUN.search(output), output
    assert re.search(rf"^Faraday {faraday}\.", output, re.MULTILINE), output  # the major asked for ran
    return output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_env(live_server, settings, tmp_path: Path) -> dict[str, str]:
    """A live server with keys, a webhook endpoint that points back at the Ruby process, and two
    collections below the root (the API only reads collections)."""
    settings.DAM_DELIVERY = "proxy"  # rendition bytes come through the app on either storage
    settings.DAM_WEBHOOK_ALLOW_PRIVATE = True  # the Ruby process's receiver is on loopback
    _, key = ApiKey.issue("ruby")
    _, read_only = ApiKey.issue("ruby-reader", read_only=True)
    port = free_port()
    WebhookEndpoint.objects.create(url=f"http://127.0.0.1:{port}/hooks/dam", secret=WEBHOOK_SECRET)
    features = Collection.objects.add_child(Collection.default(), create_kwargs={"name": "Ruby features"})
    below = Collection.objects.add_child(features, create_kwargs={"name": "2026"})
    (tmp_path / "photo.jpg").write_bytes(images.jpeg((320, 240)))
    (tmp_path / "other.png").write_bytes(images.png((200, 150)))
    (tmp_path / "evil.jpg").write_bytes(images.html())
    return {
        "DAM_URL": live_server.url,
        "DAM_API_KEY": key,
        "DAM_READ_ONLY_KEY": read_only,
        "DAM_URL_SIGNING_KEY": settings.DAM_URL_SIGNING_KEYS[0],
        "DAM_WEBHOOK_PORT": str(port),
        "DAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "IMAGE": str(tmp_path / "photo.jpg"),
        "BAD": str(tmp_path / "evil.jpg"),
        "OTHER_IMAGE": str(tmp_path / "other.png"),
        "DAM_COLLECTION_ID": str(features.pk),
        "DAM_SUBCOLLECTION_ID": str(below.pk),
    }


@pytest.mark.parametrize("faraday", FARADAY)
def test_the_gems_unit_suite_passes(ruby: str, faraday: int) -> None:
    output = run_minitest(ruby, "test/unit/**/*_test.rb", faraday=faraday)
    assert "runs," in output


def test_the_gem_keeps_its_style() -> None:
    rubocop = require_tool(shutil.which("rubocop"), "rubocop")
    result = subprocess.run([rubocop, "--format", "simple"], cwd=GEM, capture_output=True, text=True,
                            timeout=RUN_TIMEOUT)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db(transaction=True)
def test_the_gem_reaches_every_flow_on_a_live_server(ruby: str, live_env: dict[str, str], storage) -> None:
    # given a live server on this storage (S3: the direct upload goes to moto over HTTP)
    env = {**live_env, "DAM_STORAGE": storage.kind}
    if storage.kind == "s3":
        env["DAM_S3_ENDPOINT"] = storage.client.meta.endpoint_url
    # when / then
    run_minitest(ruby, "test/integration/live_test.rb", env)
    assert not any(name.startswith("uploads/") for name in storage.names())  # quarantine emptied


@pytest.mark.django_db(transaction=True)
def test_every_flow_on_faraday_2_too(ruby: str, live_env: dict[str, str], filesystem_storage) -> None:
    run_minitest(ruby, "test/integration/live_test.rb", {**live_env, "DAM_STORAGE": "filesystem"}, faraday=2)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("faraday", FARADAY)
def test_the_gem_waits_out_throttling(ruby: str, live_env: dict[str, str], monkeypatch, faraday: int) -> None:
    # given a rate limit a dozen quick calls exceed
    monkeypatch.setattr(PerClientThrottle, "THROTTLE_RATES", {"client": THROTTLE_RATE})
    # when / then: every call succeeds after honouring Retry-After; without retries a 429 surfaces
    # (the gem, and docs/api.md's plain-Faraday snippet as written for this major)
    run_minitest(ruby, "test/integration/{throttle,docs_snippet}_test.rb", live_env, faraday=faraday)
