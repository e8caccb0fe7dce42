"""Run untrusted decoding in a forked child process under memory and CPU limits.

A codec that crashes (SIGSEGV, SIGABRT from a heap check), runs out of its memory budget or
spins past its CPU budget there kills only the child; the caller gets ``SandboxFailed`` and
answers with a refusal, and the web or task worker lives on.

``fork`` (not ``spawn``) because the child must start in about a millisecond with Pillow already
imported: the measured overhead is ~8 ms per call for a ~100 MB worker (README, `make bench`),
where spawning a fresh interpreter costs ~100 ms. The child runs only the decode, sends a pickled
answer down a pipe and leaves with ``os._exit`` (no atexit handlers, no flushing of the parent's
buffers, no closing of its database connections). Forking a multi-threaded process is safe here
because the child touches no lock another thread may hold: it decodes bytes already in memory or
a file it reopens, and writes to its own pipe; a deadlock anyway would end at the wall-clock limit.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
_READ_BYTES = 64 * 1024


class SandboxFailed(Exception):
    """The child died, hit a limit, or raised something that is not a domain error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SandboxLimits:
    memory_bytes: int  # address space the child may add to what it inherits
    cpu_seconds: int
    wall_seconds: float


def available() -> bool:
    return hasattr(os, "fork")


def run(function: Callable[[], T], limits: SandboxLimits) -> T:
    """``function()`` in a child; its return value or its exception, re-raised here.

    Exceptions travel pickled; one that does not pickle (or any crash) becomes ``SandboxFailed``.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child; its effects are asserted by the parent's tests
        os.close(read_end)
        _child(function, write_end, limits)
    os.close(write_end)
    try:
        payload = _read_all(read_end, pid, time.monotonic() + limits.wall_seconds)
    finally:
        os.close(read_end)
    status = _reap(pid)
    if not payload:
        raise SandboxFailed(_describe(status))
    kind, value = pickle.loads(payload)  # noqa: S301 - our own child wrote it
    if kind == "raise":
        raise value
    return value  # type: ignore[no-any-return]


def _child(function: Callable[[], object], write_end: int, limits: SandboxLimits) -> None:  # pragma: no cover
    status = 0
    try:
        faulthandler.disable()  # a codec crash is expected here: no traceback dump on stderr
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _limit(limits)
        try:
            answer: tuple[str, object] = ("return", function())
        except MemoryError:
            answer = ("raise", SandboxFailed("ran out of its memory budget"))
        except BaseException as exc:
            answer = ("raise", exc)
        try:
            payload = pickle.dumps(answer)
        except Exception:
            payload = pickle.dumps(("raise", SandboxFailed(f"raised {type(answer[1]).__name__}")))
        view = memoryview(payload)
        while view:
            view = view[os.write(write_end, view) :]
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _limit(limits: SandboxLimits) -> None:  # pragma: no cover - runs in the child
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash must not write a core file
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    inherited = _address_space()
    if inherited:
        ceiling = inherited + limits.memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


def _address_space() -> int:
    """The child's current virtual size (what it inherited); 0 where /proc is missing."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _read_all(fd: int, pid: int, deadline: float) -> bytes:
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            os.kill(pid, signal.SIGKILL)
            return b""
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, _READ_BYTES)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(pid: int) -> int:
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:  # pragma: no cover
            continue


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGKILL:
            return "was stopped at its time limit"
        if number == signal.SIGXCPU:
            return "ran out of its CPU budget"
        return f"crashed ({signal.Signals(number).name})"
    return f"exited with status {os.WEXITSTATUS(status)}"
