"""PURE: a view of a file without some byte ranges (metadata a decoder must not see)."""

from __future__ import annotations

import io
from typing import IO

from assets.structure.base import ByteRange, Structure


class OmittingReader(io.RawIOBase):
    """Reads ``fileobj`` as if the byte ranges in ``omit`` were not there (seekable)."""

    def __init__(self, fileobj: IO[bytes], omit: tuple[ByteRange, ...]) -> None:
        super().__init__()
        self.fileobj, self.position = fileobj, 0
        fileobj.seek(0, io.SEEK_END)
        self.real_size = fileobj.tell()
        # (virtual start, real start, length) of each kept piece
        self.pieces: list[tuple[int, int, int]] = []
        real = virtual = 0
        for start, end in (*omit, (self.real_size, self.real_size)):
            if start > real:
                self.pieces.append((virtual, real, start - real))
                virtual += start - real
            real = max(real, end)
        self.size = virtual

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted, done = len(buffer), 0
        view = memoryview(buffer).cast("B")
        for virtual, real, length in self.pieces:
            if done == wanted or self.position >= virtual + length:
                continue
            if self.position < virtual:
                break
            skip = self.position - virtual
            count = min(length - skip, wanted - done)
            self.fileobj.seek(real + skip)
            data = self.fileobj.read(count)
            view[done : done + len(data)] = data
            done += len(data)
            self.position += len(data)
        return done


def omitting(fileobj: IO[bytes], structure: Structure) -> IO[bytes]:
    """``fileobj`` itself, or a view of it without the ranges the decoder must not see."""
    fileobj.seek(0)
    if not structure.omit:
        return fileobj
    return io.BufferedReader(OmittingReader(fileobj, structure.omit))
