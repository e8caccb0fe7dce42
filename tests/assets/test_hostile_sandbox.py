"""The decode sandbox: a crash, a memory blow-up or a spin in a child process is a refusal, and
the process that asked lives on."""

from __future__ import annotations

import ctypes
import io
import os
import signal
import time

import pytest

from assets import sandbox, validators
from assets.exceptions import RejectedUpload
from assets.ingest import ingest
from assets.models import Asset
from tests import images

LIMITS = sandbox.SandboxLimits(memory_bytes=256 * 1024 * 1024, cpu_seconds=5, wall_seconds=10)


def test_the_answer_and_exceptions_come_back() -> None:
    assert sandbox.run(lambda: ("ok", os.getpid()), LIMITS)[1] != os.getpid()
    with pytest.raises(KeyError):
        sandbox.run(lambda: {}["missing"], LIMITS)


def _segfault() -> None:
    ctypes.string_at(0)  # reads address 0: SIGSEGV, as a codec overflowing its heap would


def test_a_crash_in_the_child_is_reported_not_shared() -> None:
    with pytest.raises(sandbox.SandboxFailed) as caught:
        sandbox.run(_segfault, LIMITS)
    assert "SIGSEGV" in caught.value.reason


def test_memory_beyond_the_budget_fails_the_child_only() -> None:
    with pytest.raises(sandbox.SandboxFailed) as caught:
        sandbox.run(lambda: bytearray(1024 * 1024 * 1024), LIMITS)  # 1 GiB against 256 MiB
    assert "memory" in caught.value.reason


def test_a_spinning_child_is_stopped() -> None:
    def spin() -> None:
        while True:
            pass

    with pytest.raises(sandbox.SandboxFailed) as caught:
        sandbox.run(
            spin, sandbox.SandboxLimits(memory_bytes=LIMITS.memory_bytes, cpu_seconds=1, wall_seconds=30)
        )
    assert "CPU" in caught.value.reason  # (not the 30 s wall-clock limit: that reads "time limit")


def test_a_hung_child_is_killed_at_the_wall_clock_limit() -> None:
    with pytest.raises(sandbox.SandboxFailed) as caught:
        sandbox.run(lambda: time.sleep(30), sandbox.SandboxLimits(LIMITS.memory_bytes, 5, wall_seconds=0.5))
    assert "time limit" in caught.value.reason


@pytest.mark.django_db(transaction=True)
def test_a_decoder_crash_during_ingest_is_a_refusal(settings, monkeypatch) -> None:
    # given every decode sandboxed, and a decoder that crashes (the lossless-JPEG class)
    settings.DAM_DECODE_SANDBOX = "all"

    def crashing_decode(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGABRT)

    monkeypatch.setattr(validators, "decode_fully", crashing_decode)
    # when
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(images.jpeg()), filename="x.jpg")
    # then this process lives, and nothing was stored
    assert caught.value.code == "corrupt_image" and "SIGABRT" in caught.value.message
    assert Asset.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", ["off", "rare", "all"])
def test_every_sandbox_mode_accepts_and_refuses_alike(settings, mode: str) -> None:
    settings.DAM_DECODE_SANDBOX = mode
    assert ingest(io.BytesIO(images.lossless_jpeg((64, 48))), filename="l.jpg").width == 64
    assert ingest(io.BytesIO(images.jpeg((120, 80))), filename="j.jpg").width == 120
    with pytest.raises(RejectedUpload) as caught:
        ingest(io.BytesIO(images.truncated_jpeg()), filename="t.jpg")
    assert caught.value.code == "corrupt_image"
